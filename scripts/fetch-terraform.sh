#!/usr/bin/env bash
# Prints the path of a pinned Terraform build (scripts/lib/terraform-builds.tsv),
# downloading and checking it first when it is not cached yet. The tests call
# this, so the tests, the demo and the benchmarks share one download logic.
#
# usage: scripts/fetch-terraform.sh [VERSION]   (default 1.15.5; --list lists)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$repo/scripts/lib/common.sh"
# shellcheck source=scripts/lib/terraform.sh
source "$repo/scripts/lib/terraform.sh"
if [[ ${1:-} == --list ]]; then
    dbs_terraform_versions
    exit 0
fi
dbs_fetch_terraform "${1:-$DBS_TERRAFORM_VERSION}"
