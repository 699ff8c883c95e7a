#!/usr/bin/env bash
# The paging benchmark (benches/paging.rs: 10,000 jobs, page size 100, 50 ms
# latency, concurrency 1/4/8) for this tree and for DBS_BENCH_BASELINE_REV
# (default bc7c497, before the shared request budget and the read bounds),
# one after the other in one run, so the cost of both can be read side by side.
#
# usage: scripts/bench-paging-baseline.sh [DIVAN_ARGS...]   e.g. --sample-count 10
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
# The baseline builds into a target dir of its own: cargo names a path package's artifacts, and
# its build script's output (the generated protocol code), without its path, so two revisions
# sharing one target dir overwrite each other's generated code.
BASE_TARGET_DIR=$DBS_TARGET_DIR/paging-baseline
# A bench run, its lines prefixed by `label`; the build's errors shown when it fails.
bench() {
    local label=$1 log
    log=$(mktemp)
    if ! cargo bench --bench paging -- "${@:2}" > "$log" 2>&1; then
        tail -n 40 "$log" >&2
        dbs_die "cargo bench failed for $label"
    fi
    grep -E 'ideal|├|╰|fastest' "$log" | sed "s/^/$label  /"
    rm -f "$log"
}
for round in 1 2; do
    dbs_step "round $round: this tree"
    bench "this tree" "$@"
    dbs_step "round $round: $BASE_REV"
    (cd "$WORK/baseline-src" && CARGO_TARGET_DIR=$BASE_TARGET_DIR bench "$BASE_REV" "$@")
done
