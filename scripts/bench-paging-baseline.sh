#!/usr/bin/env bash
# The paging benchmark (benches/paging.rs: 10,000 jobs, page size 100, 50 ms
# latency, concurrency 1/4/8) for this tree and for DBS_BENCH_BASELINE_REV
# (default bc7c497, before the shared request budget and the read bounds),
# one after the other in one run, so the cost of both can be read side by side.
#
# usage: scripts/bench-paging-baseline.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$repo/scripts/lib/common.sh"
cd "$repo"
BASE_REV=${DBS_BENCH_BASELINE_REV:-bc7c497}
dbs_cargo_facts
WORK=$(mktemp -d)
cleanup() {
    git -C "$repo" worktree remove --force "$WORK/baseline-src" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
git worktree add --detach "$WORK/baseline-src" "$BASE_REV" >&2
cp .cargo/config.toml "$WORK/baseline-src/.cargo/config.toml"
for round in 1 2; do
    dbs_step "round $round: this tree"
    cargo bench --bench paging 2>/dev/null | grep -E 'ideal|├|╰|fastest' | sed 's/^/this tree  /'
    dbs_step "round $round: $BASE_REV"
    (cd "$WORK/baseline-src" && CARGO_TARGET_DIR=$DBS_TARGET_DIR cargo bench --bench paging 2>/dev/null) |
        grep -E '├|╰|fastest' | sed "s/^/$BASE_REV    /"
done
