#!/usr/bin/env bash
# How long a revision takes to build and test from nothing: a fresh clone at REV and
# `cargo test --no-run` with an empty target dir; then a second fresh clone and the README's test
# command (`./scripts/test.sh`) twice, cold and warm. Terraform binaries come from the cache the
# tests use (`DBS_TEST_CACHE`, else ~/.cache/terraform-provider-dbs), so "cold" means no compiled
# artifacts. Prints bash `time` lines (wall, user, sys); compare CPU when the machine is shared.
#
# usage: scripts/bench-build-times.sh REV
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rev=${1:?usage: scripts/bench-build-times.sh REV}
TIMEFORMAT='real %R s, user %U s, sys %S s'
unset TF_CLI_CONFIG_FILE
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

clone() {
    git clone -q "$repo" "$1" && git -C "$1" checkout -q "$rev"
}

clone "$work/no-run"
echo "== $rev: cargo test --no-run (cold, empty target dir)"
{ time (cd "$work/no-run" && cargo test --no-run > "$work/no-run.log" 2>&1); } 2>&1
echo "exit $?"

clone "$work/test"
for pass in cold warm; do
    echo "== $rev: ./scripts/test.sh ($pass)"
    { time (cd "$work/test" && ./scripts/test.sh > "$work/test-$pass.log" 2>&1); } 2>&1
    echo "exit $? $(grep '^Summary' "$work/test-$pass.log")"
done
