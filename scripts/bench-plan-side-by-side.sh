#!/usr/bin/env bash
# `terraform plan` of one dbs_restore_tasks data source against the emulator (sample fixture),
# with two provider binaries in turn (A B A B ...): the cost of a plan with this tree's provider
# against another build's. Needs farm-bench or hyperfine.
#
# usage: scripts/bench-plan-side-by-side.sh PROVIDER_A PROVIDER_B [TERRAFORM]
#   PROVIDER_*: terraform-provider-dbs binaries (e.g. this tree's and an older revision's debug
#   build); TERRAFORM defaults to the newest version of the test matrix.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$repo/scripts/lib/common.sh"
# shellcheck source=scripts/lib/terraform.sh
source "$repo/scripts/lib/terraform.sh"
a_bin=$(realpath "${1:?usage: $0 PROVIDER_A PROVIDER_B [TERRAFORM]}")
b_bin=$(realpath "${2:?usage: $0 PROVIDER_A PROVIDER_B [TERRAFORM]}")
tf=${3:-$(dbs_fetch_terraform)}
cd "$repo"
dbs_cargo_facts
cargo build --quiet --bin dbs-emulator
emulator_bin="$(dbs_bin_dir debug)/dbs-emulator"

work=$(mktemp -d)
port_file=$work/emulator.out
"$emulator_bin" --fixture examples/emulator/restore-tasks.json > "$port_file" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -qo 'http://127.0.0.1:[0-9]*' "$port_file" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$port_file" | head -1)

for side in a b; do
    bin=${side}_bin
    mkdir -p "$work/$side/bin"
    cp "${!bin}" "$work/$side/bin/terraform-provider-dbs"
    printf 'provider_installation {\n  dev_overrides { "example/dbs" = "%s" }\n  direct {}\n}\n' \
        "$work/$side/bin" > "$work/$side/cli.tfrc"
    cat > "$work/$side/main.tf" <<'TF'
terraform {
  required_providers {
    dbs = { source = "example/dbs" }
  }
}
provider "dbs" {}
data "dbs_restore_tasks" "plan" { backup_plan_id = "dbs1hvb0w8k2p" }
output "jobs" { value = data.dbs_restore_tasks.plan.total_count }
TF
done
export ALIBABA_CLOUD_ENDPOINT_DBS=$url ALIBABA_CLOUD_REGION=cn-hangzhou CHECKPOINT_DISABLE=1 \
    ALIBABA_CLOUD_ACCESS_KEY_ID=emulator-access-key ALIBABA_CLOUD_ACCESS_KEY_SECRET=emulator-secret
plan() { echo "sh -c 'cd $work/$1 && TF_CLI_CONFIG_FILE=$work/$1/cli.tfrc exec $tf plan -no-color -input=false'"; }
if command -v farm-bench > /dev/null; then
    eval "farm-bench -n 15 --warmup 3 --timeout 600 --vs \"$(plan b)\" -- $(plan a)"
else
    hyperfine --warmup 3 --runs 15 "$(plan a)" "$(plan b)"
fi
