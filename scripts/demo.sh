#!/usr/bin/env bash
# The README's first command: real Terraform reads DBS restore jobs from the
# bundled emulator, on a Linux machine that has Rust and Python 3 and nothing
# else (no Terraform, no Alibaba Cloud account).
#
#   1. builds the provider and the emulator (cargo's debug profile, see below);
#   2. picks Terraform: $DBS_DEMO_TERRAFORM, else `terraform` or `tofu` from
#      PATH (1.0 or later), else Terraform 1.15.5 downloaded as pinned in
#      scripts/lib/terraform-builds.tsv into the cache the tests use;
#   3. starts the emulator on a free loopback port, serving
#      examples/emulator/restore-tasks.json;
#   4. copies examples/quickstart into a temporary directory (the repository
#      stays clean) with a throwaway CLI config whose dev_overrides point at
#      the build, so no `terraform init` is needed;
#   5. runs `terraform plan -out`, then applies that saved plan;
#   6. prints a summary of the jobs from `terraform output -json`.
# The emulator and the temporary directory are removed on success, on failure
# and on Ctrl-C.
#
# Environment:
#   DBS_DEMO_TERRAFORM  terraform or tofu executable to use; `fetch` ignores
#                       PATH and uses the downloaded Terraform 1.15.5
#   DBS_DEMO_PROFILE    cargo profile to build, `debug` (default) or `release`
#   DBS_DEMO_KEEP=1     keep the working directory (main.tf, restore-tasks.json,
#                       the emulator's request log)
#   DBS_TEST_CACHE      download cache (default ~/.cache/terraform-provider-dbs)
#
# Why the debug profile: ./scripts/test.sh (the README's second command)
# reuses its artifacts, and it costs less. From a fresh clone on this 2-core
# machine, shared with other builds: debug, both binaries, 2m28s of CPU (4m09s
# wall); release (thin LTO), the provider alone, 3m58s of CPU (3m35s wall).
# The demo reads a dozen jobs, so the optimised code would not show.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$repo/scripts/lib/common.sh"
# shellcheck source=scripts/lib/terraform.sh
source "$repo/scripts/lib/terraform.sh"

profile=${DBS_DEMO_PROFILE:-debug}
# The emulator accepts exactly these; passing them makes the demo independent
# of the emulator's defaults.
demo_key_id=demo-access-key
demo_key_secret=demo-secret

work=
emulator_pid=

# Stops the emulator if it is still running; safe to call more than once.
stop_emulator() {
    if [[ -n $emulator_pid ]] && kill -0 "$emulator_pid" 2>/dev/null; then
        dbs_step "stopping the emulator (pid $emulator_pid)"
        kill -TERM "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    emulator_pid=
}

# Runs on every exit: stops the emulator, shows what it saw when something
# failed, and removes the working directory unless asked to keep it.
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_emulator
    local interrupted=0
    [[ $status -eq 130 || $status -eq 143 ]] && interrupted=1
    if [[ $status -ne 0 && $interrupted -eq 0 ]] && grep -q '^dbs-emulator: #' "$work/emulator.log" 2>/dev/null; then
        printf '\nThe last requests the emulator answered:\n' >&2
        grep '^dbs-emulator: #' "$work/emulator.log" | tail -n 10 >&2
    fi
    if [[ -n $work && -d $work ]]; then
        if [[ ${DBS_DEMO_KEEP:-} == 1 ]]; then
            dbs_note "kept the working directory: $work"
        else
            rm -rf "$work"
        fi
    fi
    if [[ $interrupted -eq 1 ]]; then
        printf '\nInterrupted; nothing is left running.\n' >&2
    elif [[ $status -ne 0 ]]; then
        printf '\nThe demo failed (exit status %s).\n' "$status" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dbs_require cargo "Install Rust (https://rustup.rs), then run this again."
dbs_require python3 "The demo needs Python 3 with pip (to fetch Terraform, and to read its JSON output)."

cd "$repo"
case $profile in
debug) cargo_profile=() ;;
release) cargo_profile=(--release) ;;
*) dbs_die "DBS_DEMO_PROFILE must be debug or release, not \`$profile\`" ;;
esac
dbs_step "building terraform-provider-dbs and dbs-emulator (cargo, $profile profile; the first build takes about 4 minutes on 2 cores)"
cargo build "${cargo_profile[@]}" --bin terraform-provider-dbs --bin dbs-emulator
dbs_cargo_facts
bin_dir=$(dbs_bin_dir "$profile")
[[ -x $bin_dir/terraform-provider-dbs && -x $bin_dir/dbs-emulator ]] ||
    dbs_die "cargo finished but $bin_dir has no terraform-provider-dbs and dbs-emulator"

work=$(mktemp -d "${TMPDIR:-/tmp}/dbs-demo.XXXXXX")
dbs_step "preparing a throwaway Terraform working directory: $work"
cp "$repo"/examples/quickstart/*.tf "$work/"
# Our own CLI config always, so neither a developer's ~/.terraformrc nor a
# TF_CLI_CONFIG_FILE pointing elsewhere changes what the demo runs.
cat >"$work/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "example/dbs" = "$bin_dir"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
export CHECKPOINT_DISABLE=1
unset TF_REATTACH_PROVIDERS TF_DATA_DIR TF_WORKSPACE TF_PLUGIN_CACHE_DIR
dbs_note "copied examples/quickstart/main.tf; dev_overrides: example/dbs -> $bin_dir"

# Sets tf_version_line; succeeds when $1 is Terraform 1.0+ or OpenTofu, the
# releases that speak plugin protocol 6.
tf_usable() {
    local out
    out=$("$1" version 2>/dev/null) || return 1
    tf_version_line=${out%%$'\n'*}
    [[ $tf_version_line =~ ^(Terraform|OpenTofu)\ v([0-9]+)\. ]] && ((BASH_REMATCH[2] >= 1))
}

dbs_step "choosing Terraform"
tf=
tf_version_line=
if [[ ${DBS_DEMO_TERRAFORM:-} == fetch ]]; then
    dbs_note "DBS_DEMO_TERRAFORM=fetch: using the downloaded Terraform $DBS_TERRAFORM_VERSION"
elif [[ -n ${DBS_DEMO_TERRAFORM:-} ]]; then
    tf=$(command -v "$DBS_DEMO_TERRAFORM") || dbs_die "DBS_DEMO_TERRAFORM=$DBS_DEMO_TERRAFORM is not an executable"
    tf_usable "$tf" || dbs_die "DBS_DEMO_TERRAFORM=$tf is not Terraform 1.0+ or OpenTofu (it says: ${tf_version_line:-nothing})"
else
    for candidate in terraform tofu; do
        path=$(command -v "$candidate") || continue
        if tf_usable "$path"; then
            tf=$path
            break
        fi
        dbs_note "skipping $path: not Terraform 1.0+ or OpenTofu (it says: ${tf_version_line:-nothing})"
    done
    [[ -n $tf ]] || dbs_note "no usable terraform or tofu on PATH"
fi
if [[ -z $tf ]]; then
    dbs_require flock "It comes with util-linux."
    tf=$(dbs_fetch_terraform)
    tf_usable "$tf" || dbs_die "the downloaded $tf does not run (it says: ${tf_version_line:-nothing}); delete $(dirname "$tf") and try again"
fi
dbs_note "using $tf ($tf_version_line)"

dbs_step "starting the DBS emulator with examples/emulator/restore-tasks.json"
"$bin_dir/dbs-emulator" --fixture "$repo/examples/emulator/restore-tasks.json" \
    --listen 127.0.0.1:0 --access-key-id "$demo_key_id" --access-key-secret "$demo_key_secret" \
    >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
url=
for ((tries = 0; tries < 300; tries++)); do
    url=$(sed -n '1s/^dbs-emulator listening on //p' "$work/emulator.out")
    [[ -n $url ]] && break
    kill -0 "$emulator_pid" 2>/dev/null || dbs_die "the emulator exited before it listened: $(cat "$work/emulator.log")"
    sleep 0.1
done
[[ -n $url ]] || dbs_die "the emulator did not report its address within 30 s"
dbs_note "listening on $url (pid $emulator_pid; request log: $work/emulator.log)"

# Only the emulator's credentials: real ones in the environment must neither
# win over them nor be sent anywhere.
while IFS= read -r name; do
    unset "$name"
done < <(compgen -e | grep -E '^(ALIBABA_CLOUD_|ALICLOUD_)|^DBS_ENDPOINT$' || true)
export ALIBABA_CLOUD_ENDPOINT_DBS="$url"
export ALIBABA_CLOUD_ACCESS_KEY_ID="$demo_key_id"
export ALIBABA_CLOUD_ACCESS_KEY_SECRET="$demo_key_secret"
export ALIBABA_CLOUD_REGION=cn-hangzhou

cd "$work"
# Colour for people, plain text for logs and CI.
color=()
[[ -t 1 ]] || color=(-no-color)
dbs_step "terraform plan (no init: dev_overrides serves the provider from $bin_dir)"
"$tf" plan -input=false "${color[@]}" -out=demo.tfplan
dbs_step "terraform apply (the saved plan: the jobs read above become outputs)"
"$tf" apply -input=false "${color[@]}" demo.tfplan
"$tf" output -json >outputs.json
stop_emulator

dbs_step "summary"
requests=$(grep -c '^dbs-emulator: #' "$work/emulator.log" || true)
python3 - outputs.json "$work/restore-tasks.json" "${DBS_DEMO_KEEP:-}" "$requests" <<'PY'
import json, sys

outputs_path, written_path, keep, requests = sys.argv[1:]
outputs = json.load(open(outputs_path))


def value(name):
    return outputs[name]["value"]


by_status = value("by_status")
failed = value("failed")
print(f"Terraform read {value('total')} restore jobs from the emulator "
      f"({requests} signed DescribeRestoreTaskList requests).\n")
print(f"  {'status':<12} {'jobs':>4}")
for status, count in sorted(by_status.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"  {status:<12} {count:>4}")
print(f"\nFailed jobs (status \"stop\"): {len(failed)}")
for job in failed:
    print(f"  {job['id']}  {job['name'] or '(no name)'}  plan {job['backup_plan'] or '-'}"
          f"  finished {job['finished'] or '-'}")
    print(f"      error: {job['error_message'] or '(none given)'}")
try:
    written = json.load(open(written_path))
except (OSError, ValueError) as error:
    sys.exit(f"output_file did not produce readable JSON: {error}")
where = written_path if keep == "1" else "restore-tasks.json (DBS_DEMO_KEEP=1 keeps it)"
print(f"\noutput_file wrote {len(written)} jobs to {where}.")
PY
printf '\nDone. The configuration is examples/quickstart/main.tf; point it at Alibaba Cloud by\n'
printf 'setting real credentials instead of the emulator (see the README).\n'
