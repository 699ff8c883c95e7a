# shellcheck shell=bash
# Helpers shared by the scripts in scripts/: uniform progress messages and the
# package facts (version, target directory) that the scripts must agree with
# Cargo about. Sourced, never run.

# A step the user is waiting on; printed before it starts so a slow step is
# never silent.
dbs_step() { printf '\n==> %s\n' "$*" >&2; }

# A remark inside a step.
dbs_note() { printf '    %s\n' "$*" >&2; }

# Stops the script with a message that says what to do next.
dbs_die() {
    printf '\nerror: %s\n' "$*" >&2
    exit 1
}

# Fails early and clearly when a tool the script needs is missing, instead of
# letting a later step fail with "command not found" half way through.
dbs_require() {
    local tool=$1 hint=$2
    command -v "$tool" >/dev/null 2>&1 || dbs_die "\`$tool\` is not on PATH. $hint"
}

# Sets DBS_VERSION and DBS_TARGET_DIR from `cargo metadata`, so that
# CARGO_TARGET_DIR, .cargo/config.toml and the version in Cargo.toml are
# honoured exactly as cargo itself sees them, and DBS_BUILD_TARGET, the
# triple every build targets (`build.target` in .cargo/config.toml, which
# makes the binaries static; CARGO_BUILD_TARGET overrides it). Needs the
# repository root as the current directory.
dbs_cargo_facts() {
    local facts
    facts=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, os, sys, tomllib
meta = json.load(sys.stdin)
package = next(p for p in meta["packages"] if p["name"] == "terraform-provider-dbs")
print(package["version"])
print(meta["target_directory"])
with open(".cargo/config.toml", "rb") as config:
    target = tomllib.load(config).get("build", {}).get("target", "")
print(os.environ.get("CARGO_BUILD_TARGET") or target)
') || dbs_die "cannot read the package version and target directory from \`cargo metadata\`"
    DBS_VERSION=$(sed -n 1p <<<"$facts")
    DBS_TARGET_DIR=$(sed -n 2p <<<"$facts")
    DBS_BUILD_TARGET=$(sed -n 3p <<<"$facts")
    [[ -n $DBS_VERSION && -n $DBS_TARGET_DIR ]] || dbs_die "\`cargo metadata\` gave no version or target directory"
}

# The directory cargo puts binaries of PROFILE (debug or release) in; needs
# dbs_cargo_facts first.
dbs_bin_dir() {
    if [[ -n $DBS_BUILD_TARGET ]]; then
        printf '%s/%s/%s\n' "$DBS_TARGET_DIR" "$DBS_BUILD_TARGET" "$1"
    else
        printf '%s/%s\n' "$DBS_TARGET_DIR" "$1"
    fi
}
