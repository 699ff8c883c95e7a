#!/usr/bin/env bash
# The one command that proves the tree works: formatting, lints, then every
# unit and integration test (the integration tests fetch the Terraform
# binaries they need into ~/.cache/terraform-provider-dbs on first use).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

step "cargo test (unit, protocol, emulator and real-Terraform tests)"
cargo test --all-targets --no-fail-fast
