#!/usr/bin/env bash
# Placeholder until the data source lands: builds the provider.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> building terraform-provider-dbs"
cargo build --quiet
echo "The demo is not wired up yet; see the open issues."
