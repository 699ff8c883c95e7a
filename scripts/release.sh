#!/usr/bin/env bash
# Builds the files a Terraform registry release (or a filesystem_mirror)
# needs, for this machine's platform, with the version from Cargo.toml. The
# binary is static (no glibc, no loader: .cargo/config.toml), so it runs in
# Alpine, distroless and scratch images; a dynamically linked one is refused.
#
#   terraform-provider-dbs_vX.Y.Z                  the provider binary
#   terraform-provider-dbs_X.Y.Z_<os>_<arch>.zip    that binary, under that name
#   terraform-provider-dbs_X.Y.Z_manifest.json     terraform-registry-manifest.json
#   terraform-provider-dbs_X.Y.Z_SHA256SUMS        SHA-256 of the zip and the manifest
#
# usage: scripts/release.sh [--profile release|debug] [--binary PATH] [--out DIR]
#   --profile  cargo profile to build (default: release; env DBS_RELEASE_PROFILE)
#   --binary   package this already built binary, without running cargo; it
#              must report the Cargo.toml version
#   --out      output directory (default: dist/ in the repository; env DBS_RELEASE_OUT)
#
# The zip is reproducible: its one entry has mode 0755 and the time of
# $SOURCE_DATE_EPOCH, else of the HEAD commit, so the same binary always gives
# the same zip and the same SHA256SUMS. The zip is written with Python's
# zipfile (Debian's `zip` would do too, but cannot pin the entry's time and
# mode). A registry also wants SHA256SUMS.sig, a detached GPG signature made
# with the publisher's key; this script does not sign.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$repo/scripts/lib/common.sh"

usage() { sed -n '10,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; }

profile=${DBS_RELEASE_PROFILE:-release}
binary=
out=${DBS_RELEASE_OUT:-$repo/dist}
while [[ $# -gt 0 ]]; do
    case $1 in
    --profile) profile=${2:?--profile needs a value} && shift 2 ;;
    --profile=*) profile=${1#*=} && shift ;;
    --binary) binary=${2:?--binary needs a value} && shift 2 ;;
    --binary=*) binary=${1#*=} && shift ;;
    --out) out=${2:?--out needs a value} && shift 2 ;;
    --out=*) out=${1#*=} && shift ;;
    -h | --help) usage && exit 0 ;;
    *) usage && dbs_die "unknown argument \`$1\`" ;;
    esac
done

dbs_require cargo "Install Rust (https://rustup.rs)."
dbs_require python3 "Python 3 writes the zip and checks the manifest."
dbs_require sha256sum "It comes with coreutils."

cd "$repo"
dbs_cargo_facts
version=$DBS_VERSION

case "$(uname -s)" in
Linux) os=linux ;;
Darwin) os=darwin ;;
FreeBSD) os=freebsd ;;
*) dbs_die "no Terraform platform name for the OS $(uname -s)" ;;
esac
case "$(uname -m)" in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
i386 | i686) arch=386 ;;
armv7l | armv6l) arch=arm ;;
*) dbs_die "no Terraform platform name for the CPU $(uname -m)" ;;
esac

if [[ -n $binary ]]; then
    [[ -f $binary && -x $binary ]] || dbs_die "--binary $binary is not an executable file"
    dbs_step "packaging the already built $binary"
else
    case $profile in
    release) cargo_profile=(--release) ;;
    debug) cargo_profile=() ;;
    *) dbs_die "--profile must be release or debug, not \`$profile\`" ;;
    esac
    dbs_step "building terraform-provider-dbs $version (cargo, $profile profile)"
    cargo build "${cargo_profile[@]}" --bin terraform-provider-dbs
    binary="$(dbs_bin_dir "$profile")/terraform-provider-dbs"
fi
# Terraform runs in Alpine, distroless and scratch images: a binary that
# needs glibc's loader would fail there with "no such file or directory".
if [[ $os == linux ]] && command -v ldd >/dev/null 2>&1; then
    # Captured first: `ldd | grep -q` under pipefail fails whenever grep exits before ldd.
    libraries=$(ldd "$binary" 2>&1 || true)
    if [[ $libraries == *"=>"* || $libraries == *ld-linux* ]]; then
        dbs_die "$binary is dynamically linked ($(tr '\n' ' ' <<<"$libraries")); build it with the target and rustflags of .cargo/config.toml (static-pie)"
    fi
fi
# A stale binary from another version must not be shipped under this name.
reported=$("$binary" --version) || dbs_die "$binary --version failed"
[[ $reported == "terraform-provider-dbs $version" ]] ||
    dbs_die "$binary reports \`$reported\`, but Cargo.toml says version $version"

base="terraform-provider-dbs_${version}"
exe_name="terraform-provider-dbs_v${version}"
zip_name="${base}_${os}_${arch}.zip"
manifest_name="${base}_manifest.json"
sums_name="${base}_SHA256SUMS"
mkdir -p "$out"
out=$(cd "$out" && pwd)

dbs_step "writing $out/"
python3 - "$repo/terraform-registry-manifest.json" <<'PY' || dbs_die "terraform-registry-manifest.json must be version 1 with protocol_versions [\"6.0\"]"
import json, sys
manifest = json.load(open(sys.argv[1]))
assert manifest["version"] == 1
assert manifest["metadata"]["protocol_versions"] == ["6.0"]
PY
cp "$repo/terraform-registry-manifest.json" "$out/$manifest_name.tmp"
mv "$out/$manifest_name.tmp" "$out/$manifest_name"
dbs_note "$manifest_name"

cp "$binary" "$out/$exe_name.tmp"
chmod 755 "$out/$exe_name.tmp"
mv "$out/$exe_name.tmp" "$out/$exe_name"
dbs_note "$exe_name"

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || true)}
python3 - "$out/$exe_name" "$exe_name" "$out/$zip_name.tmp" "${epoch:-0}" <<'PY'
import shutil, sys, time, zipfile

source, entry_name, archive, epoch = sys.argv[1:]
# Zip times start in 1980; UTC keeps the bytes independent of the time zone.
entry = zipfile.ZipInfo(entry_name, date_time=time.gmtime(max(int(epoch), 315532800))[:6])
entry.create_system = 3  # Unix, so that the mode below is honoured
entry.external_attr = 0o100755 << 16
entry.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(archive, "w") as zip_file, open(source, "rb") as src:
    with zip_file.open(entry, "w") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
mv "$out/$zip_name.tmp" "$out/$zip_name"
dbs_note "$zip_name"

(cd "$out" && sha256sum "$zip_name" "$manifest_name") >"$out/$sums_name.tmp"
mv "$out/$sums_name.tmp" "$out/$sums_name"
dbs_note "$sums_name"

dbs_step "release $version for ${os}_${arch}"
(cd "$out" && ls -l "$exe_name" "$zip_name" "$manifest_name" "$sums_name")
printf '\n%s:\n' "$sums_name"
cat "$out/$sums_name"
