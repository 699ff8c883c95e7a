#!/usr/bin/env bash
# The one command that proves the tree works: formatting, lints, then every
# unit and integration test (the integration tests fetch the Terraform
# binaries they need into ~/.cache/terraform-provider-dbs on first use).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "python3 with venv (the official-SDK test installs the SDK into a throwaway venv)"
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    else
        echo "python3 cannot create venvs; install python3-venv (the official-SDK test needs it)" >&2
    fi
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

step "cargo test (unit, protocol, emulator and real-Terraform tests; benches run once as smoke tests)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --all-targets --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run: the benches print last, and their
# output is not a test summary.
read -r passed failed < <(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$log" |
    awk '{p += $4; f += $6} END {print p + 0, f + 0}')
printf '\nSummary: %s passed, %s failed\n' "$passed" "$failed"
exit "$status"
