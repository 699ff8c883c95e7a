#!/usr/bin/env bash
# Twenty data sources, one rate-limited API: the shared adaptive request
# budget against a fixed per-read limit (the provider as it was before the
# budget, built from DBS_BENCH_BASELINE_REV), side by side in one run.
#
#   for_each over 20 backup plans, 5,000 jobs in all (250 a plan), page size
#   25: 200 requests; emulator at --rate-limit 10 (per access key) and 100 ms
#   latency; default provider settings; Terraform 1.15.5 `terraform apply`.
#
# For each provider it reports the read phase (first to last API request in
# the provider's debug log, plus one latency), the ideal (requests / 10 QPS),
# requests and throttled answers (the emulator's request log), and whether
# every instance got exactly its 250 jobs. Prints a markdown section on
# stdout; scripts/bench.sh puts it in BENCHMARKS.md.
#
# usage: scripts/bench-budget.sh   (env: DBS_BENCH_BASELINE_REV, default bc7c497)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$repo/scripts/lib/common.sh"
# shellcheck source=scripts/lib/terraform.sh
source "$repo/scripts/lib/terraform.sh"
cd "$repo"

BASE_REV=${DBS_BENCH_BASELINE_REV:-bc7c497}
PLANS=20
PER_PLAN=250
PAGE_SIZE=25
QPS=10
LATENCY_MS=100

dbs_cargo_facts
WORK=$(mktemp -d)
EMULATOR_PID=
cleanup() {
    [[ -n $EMULATOR_PID ]] && kill "$EMULATOR_PID" 2>/dev/null
    git -C "$repo" worktree remove --force "$WORK/baseline-src" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

dbs_step "building this tree's provider and emulator (release)"
cargo build --release --bins >&2
mkdir -p "$WORK/current" "$WORK/baseline"
cp "$(dbs_bin_dir release)/terraform-provider-dbs" "$WORK/current/"
cp "$(dbs_bin_dir release)/dbs-emulator" "$WORK/dbs-emulator"

dbs_step "building the baseline provider from $BASE_REV (fixed per-read limit), same build flags"
git worktree add --detach "$WORK/baseline-src" "$BASE_REV" >&2
cp .cargo/config.toml "$WORK/baseline-src/.cargo/config.toml"
(cd "$WORK/baseline-src" && CARGO_TARGET_DIR=$DBS_TARGET_DIR cargo build --release --bin terraform-provider-dbs >&2)
cp "$(dbs_bin_dir release)/terraform-provider-dbs" "$WORK/baseline/"
TF=$(dbs_fetch_terraform 1.15.5)

dbs_step "fixture: $((PLANS * PER_PLAN)) jobs over $PLANS plans"
python3 - "$WORK/fixture.json" "$PLANS" "$PER_PLAN" <<'PY'
import json, sys
path, plans, per_plan = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tasks = []
for p in range(plans):
    for i in range(per_plan):
        n = p * per_plan + i
        tasks.append({
            "RestoreTaskId": f"r{n:06d}",
            "RestoreTaskName": f"restore-{n}",
            "RestoreStatus": ["init", "running", "stop", "pause", "check_pass"][n % 5],
            "BackupPlanId": f"dbsbench{p:02d}",
            "RestoreTaskCreateTime": 1700000000000 + n * 1000,
        })
json.dump({"RestoreTaskDetail": tasks}, open(path, "w"))
PY

cat >"$WORK/main.tf" <<EOF
terraform {
  required_providers {
    dbs = { source = "example/dbs" }
  }
}
provider "dbs" {}
data "dbs_restore_tasks" "plan" {
  for_each       = toset([for i in range($PLANS) : format("dbsbench%02d", i)])
  backup_plan_id = each.key
  page_size      = $PAGE_SIZE
}
output "counts" {
  value = { for plan, d in data.dbs_restore_tasks.plan : plan => d.total_count }
}
EOF

declare -A RESULT
run_one() {
    local name=$1 dir="$WORK/ws-$1"
    mkdir -p "$dir"
    cp "$WORK/main.tf" "$dir/"
    cat >"$dir/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "example/dbs" = "$WORK/$name"
  }
  direct {}
}
EOF
    "$WORK/dbs-emulator" --fixture "$WORK/fixture.json" --rate-limit "$QPS" --latency-ms "$LATENCY_MS" \
        >"$dir/emulator.out" 2>"$dir/emulator.log" &
    EMULATOR_PID=$!
    for _ in $(seq 100); do grep -q 'listening on' "$dir/emulator.out" && break; sleep 0.05; done
    local url
    url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$dir/emulator.out" | head -1)
    dbs_step "$name: terraform apply, $PLANS instances against $QPS QPS"
    local started ended status=0
    started=$(date +%s.%N)
    env -u TF_LOG TF_CLI_CONFIG_FILE="$dir/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 \
        TF_LOG_PROVIDER=debug TF_LOG_PATH="$dir/tf.log" \
        ALIBABA_CLOUD_ENDPOINT_DBS="$url" ALIBABA_CLOUD_REGION=cn-hangzhou \
        ALIBABA_CLOUD_ACCESS_KEY_ID=emulator-access-key ALIBABA_CLOUD_ACCESS_KEY_SECRET=emulator-secret \
        "$TF" -chdir="$dir" apply -auto-approve -input=false -no-color >"$dir/apply.out" 2>&1 || status=$?
    ended=$(date +%s.%N)
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
    EMULATOR_PID=
    local outputs='{}'
    [[ $status == 0 ]] && outputs=$(env TF_CLI_CONFIG_FILE="$dir/cli.tfrc" "$TF" -chdir="$dir" output -json counts)
    read -r read_s requests throttled complete failed < <(python3 - "$dir" "$outputs" "$PLANS" "$PER_PLAN" "$LATENCY_MS" <<'PY'
import json, re, sys
from datetime import datetime
d, outputs, plans, per_plan, latency_ms = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
stamps = []
for line in open(f"{d}/tf.log", errors="replace"):
    if "action=DescribeRestoreTaskList" in line:
        # Terraform's log file starts each line with its own RFC 3339 timestamp.
        m = re.match(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)', line)
        if m:
            zone = "+00:00" if m.group(2) == "Z" else m.group(2)
            stamps.append(datetime.fromisoformat(m.group(1)[:26] + zone))
read_s = (max(stamps) - min(stamps)).total_seconds() + latency_ms / 1000 if stamps else 0
log = open(f"{d}/emulator.log", errors="replace").read().splitlines()
requests = sum(1 for l in log if "Action=DescribeRestoreTaskList" in l)
throttled = sum(1 for l in log if "Throttling.User" in l)
complete = sum(1 for v in outputs.values() if v == per_plan)
failed = open(f"{d}/apply.out", errors="replace").read().count("Error: ")
print(round(read_s, 2), requests, throttled, complete, failed)
PY
)
    RESULT[$name/apply]=$(python3 -c "print(round($ended - $started, 2))")
    RESULT[$name/read]=$read_s
    RESULT[$name/requests]=$requests
    RESULT[$name/throttled]=$throttled
    RESULT[$name/complete]=$complete
    RESULT[$name/failed]=$failed
    RESULT[$name/status]=$status
    dbs_note "$name: exit $status, read ${read_s}s, $requests requests, $throttled throttled, $complete/$PLANS complete"
}
run_one current
run_one baseline

IDEAL=$(python3 -c "print(round($PLANS * $PER_PLAN / $PAGE_SIZE / $QPS, 2))")
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(round(a / b, 2) if b > 0 else 'n/a')" "$1" "$2"; }
share() { python3 -c "import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); print(f'{100 * a / b:.1f} %' if b else 'n/a')" "$1" "$2"; }
cat <<EOF
## 6. Twenty data sources against a rate-limited API

\`scripts/bench-budget.sh\`: \`for_each\` over $PLANS backup plans, $((PLANS * PER_PLAN)) jobs in all, page size
$PAGE_SIZE ($((PLANS * PER_PLAN / PAGE_SIZE)) pages), emulator at \`--rate-limit $QPS\` (per access key, a bucket of one
second) and $LATENCY_MS ms latency, default provider settings, Terraform 1.15.5 \`terraform apply\`, one run
each, side by side. Read phase: first to last API request in the provider's debug log, plus one
latency. Ideal: pages / $QPS QPS = $IDEAL s. Baseline: this provider at \`$BASE_REV\`, where every read
had its own fixed limit of 4 requests in flight.

| provider | instances with exactly their jobs | apply exit | read phase | / ideal | requests | throttled | apply wall time |
|---|---|---|---|---|---|---|---|
| shared adaptive budget (this tree) | ${RESULT[current/complete]} of $PLANS | ${RESULT[current/status]} | ${RESULT[current/read]} s | $(ratio "${RESULT[current/read]}" "$IDEAL")× | ${RESULT[current/requests]} | ${RESULT[current/throttled]} ($(share "${RESULT[current/throttled]}" "${RESULT[current/requests]}")) | ${RESULT[current/apply]} s |
| fixed per-read limit ($BASE_REV) | ${RESULT[baseline/complete]} of $PLANS | ${RESULT[baseline/status]} (${RESULT[baseline/failed]} errors) | ${RESULT[baseline/read]} s | $(ratio "${RESULT[baseline/read]}" "$IDEAL")× | ${RESULT[baseline/requests]} | ${RESULT[baseline/throttled]} ($(share "${RESULT[baseline/throttled]}" "${RESULT[baseline/requests]}")) | ${RESULT[baseline/apply]} s |

Targets: every instance complete, read phase within 1.3× of the ideal, at most 10 % throttled.
EOF
