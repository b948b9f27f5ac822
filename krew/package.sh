#!/bin/sh
# Builds the release binary and packages it for krew:
#
#   dist/kubectl-owner_<version>_<os>_<arch>.tar.gz   (kubectl-owner[.exe], LICENSE, and the
#                                                      completion shim kubectl_complete-owner, or
#                                                      kubectl_complete-owner.cmd on Windows)
#   dist/owner.yaml                                    (krew manifest for that one platform, real sha256)
#
# Usage: krew/package.sh [--target TRIPLE] [--uri-base URL]
#   --target TRIPLE  cross-build with `cargo build --target TRIPLE` (default: the host)
#   --uri-base URL   where the archive will be downloaded from; the manifest's uri is URL/<archive>
#                    (default: the GitHub release of this version; e.g. file:///abs/dist for a local test)
# Environment:
#   PACKAGE_PROFILE    cargo profile to build (default: release; tests may use a faster one)
#   MAX_BINARY_BYTES   fail if the binary is larger (checked for release builds, default 10 MB =
#                      10000000, and for any binary when set explicitly)
#   PACKAGE_BINARY     package this prebuilt binary instead of building one (tests)
#   DIST_DIR           where to write the archive and the manifest (default: dist)
#   CARGO              cargo to run (default: cargo)
#
# Needs only sh, cargo, tar, gzip and sha256sum (or shasum on macOS).
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)

target=""
uri_base=""
while [ $# -gt 0 ]; do
    case "$1" in
        --target) target=$2; shift 2 ;;
        --target=*) target=${1#--target=}; shift ;;
        --uri-base) uri_base=$2; shift 2 ;;
        --uri-base=*) uri_base=${1#--uri-base=}; shift ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "package.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

profile=${PACKAGE_PROFILE:-release}
max_bytes=${MAX_BINARY_BYTES:-10000000}
cargo=${CARGO:-cargo}
dist=${DIST_DIR:-dist}

# The package version: the first `version = "…"` of Cargo.toml's [package] table.
version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || { echo "package.sh: no version in Cargo.toml" >&2; exit 1; }

# krew's os/arch for a Rust target triple (or the host's uname).
if [ -n "$target" ]; then
    triple=$target
else
    triple="$(uname -m)-$(uname -s)"
fi
case "$triple" in
    x86_64-*|amd64-*) arch=amd64 ;;
    aarch64-*|arm64-*) arch=arm64 ;;
    i686-*|i386-*) arch=386 ;;
    armv7-*|arm-*) arch=arm ;;
    *) echo "package.sh: unsupported architecture in $triple" >&2; exit 1 ;;
esac
case "$triple" in
    *linux*|*Linux*) os=linux ;;
    *apple-darwin*|*Darwin*) os=darwin ;;
    *windows*|*MINGW*|*MSYS*|*CYGWIN*) os=windows ;;
    *) echo "package.sh: unsupported OS in $triple" >&2; exit 1 ;;
esac
exe=""
shim=kubectl_complete-owner
if [ "$os" = windows ]; then
    exe=".exe"
    shim=kubectl_complete-owner.cmd
fi

# Build (or take the prebuilt binary).
check_size=no
if [ -n "${PACKAGE_BINARY:-}" ]; then
    binary=$PACKAGE_BINARY
    [ -n "${MAX_BINARY_BYTES:-}" ] && check_size=yes
else
    if [ -n "$target" ]; then
        "$cargo" build --profile "$profile" --target "$target" --bin kubectl-owner
        outdir="${CARGO_TARGET_DIR:-target}/$target"
    else
        "$cargo" build --profile "$profile" --bin kubectl-owner
        outdir="${CARGO_TARGET_DIR:-target}"
    fi
    case "$profile" in dev|test) profile_dir=debug ;; bench) profile_dir=release ;; *) profile_dir=$profile ;; esac
    binary="$outdir/$profile_dir/kubectl-owner$exe"
    { [ "$profile" = release ] || [ -n "${MAX_BINARY_BYTES:-}" ]; } && check_size=yes
fi
[ -f "$binary" ] || { echo "package.sh: $binary was not built" >&2; exit 1; }

size=$(wc -c < "$binary" | tr -d ' ')
echo "package.sh: $binary is $size bytes"
if [ "$check_size" = yes ] && [ "$size" -gt "$max_bytes" ]; then
    echo "package.sh: the binary ($size bytes) is larger than $max_bytes bytes" >&2
    exit 1
fi

# Archive: the three files at the archive's root.
archive="kubectl-owner_${version}_${os}_${arch}.tar.gz"
mkdir -p "$dist"
stage=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-owner-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
cp "$binary" "$stage/kubectl-owner$exe"
cp LICENSE "$stage/LICENSE"
cp "krew/$shim" "$stage/$shim"
chmod 755 "$stage/kubectl-owner$exe" "$stage/$shim"
chmod 644 "$stage/LICENSE"
rm -f "$dist/$archive"
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    # Reproducible: fixed owner, order and timestamps.
    tar --owner=0 --group=0 --numeric-owner --mtime='@0' \
        -C "$stage" -cf - "kubectl-owner$exe" LICENSE "$shim" | gzip -n > "$dist/$archive"
else
    tar -C "$stage" -cf - "kubectl-owner$exe" LICENSE "$shim" | gzip -n > "$dist/$archive"
fi

if command -v sha256sum > /dev/null 2>&1; then
    sha=$(sha256sum "$dist/$archive" | cut -d ' ' -f 1)
else
    sha=$(shasum -a 256 "$dist/$archive" | cut -d ' ' -f 1)
fi
echo "$sha  $archive" > "$dist/$archive.sha256"

# The manifest for this platform: the release template's text, with only this platform.
[ -n "$uri_base" ] || uri_base="https://github.com/kubectl-owner/kubectl-owner/releases/download/v$version"
{
    sed -n '1,/^  platforms:/p' krew/.krew.yaml | grep -v '^#' | sed "s/{{ \.TagName }}/v$version/g"
    cat <<YAML
    - selector:
        matchLabels:
          os: $os
          arch: $arch
      uri: $uri_base/$archive
      sha256: "$sha"
      bin: kubectl-owner$exe
      files:
        - from: kubectl-owner$exe
          to: .
        - from: LICENSE
          to: .
        - from: $shim
          to: .
YAML
} > "$dist/owner.yaml"

echo "package.sh: wrote $dist/$archive (sha256 $sha)"
echo "package.sh: wrote $dist/owner.yaml ($os/$arch)"
