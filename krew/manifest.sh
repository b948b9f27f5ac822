#!/bin/sh
# Writes DIST/owner.yaml: the krew manifest of every platform, from the release-bot template
# krew/.krew.yaml, with each archive's real sha256 — the same text krew-release-bot renders for
# the krew-index pull request, published with the release so that
# `kubectl krew install --manifest=owner.yaml` works before the index has merged it.
#
# Usage: krew/manifest.sh DIST TAG     (e.g. krew/manifest.sh dist v0.1.0)
# Every archive the template names must be in DIST; needs sh, sed and sha256sum (or shasum).
set -eu

[ $# -eq 2 ] || { echo "usage: krew/manifest.sh DIST TAG" >&2; exit 2; }
dist=$1
tag=$2
version=${tag#v}
template="$(dirname "$0")/.krew.yaml"

sha256() {
    if command -v sha256sum > /dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    else
        shasum -a 256 "$1" | cut -d ' ' -f 1
    fi
}

out="$dist/owner.yaml.tmp"
: > "$out"
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        '#'*) ;; # the template's own comments

        *'{{addURIAndSha "'*)
            indent=$(printf '%s' "$line" | sed 's/[^ ].*//')
            uri=$(printf '%s' "$line" | sed 's/.*{{addURIAndSha "\([^"]*\)".*/\1/' \
                | sed "s/{{ \.TagName }}/$tag/g; s/{{ \.Version }}/$version/g")
            archive="$dist/${uri##*/}"
            [ -f "$archive" ] || { echo "krew/manifest.sh: $archive is missing" >&2; rm -f "$out"; exit 1; }
            printf '%suri: %s\n%ssha256: "%s"\n' "$indent" "$uri" "$indent" "$(sha256 "$archive")" >> "$out"
            ;;
        *)
            printf '%s\n' "$line" | sed "s/{{ \.TagName }}/$tag/g" >> "$out"
            ;;
    esac
done < "$template"
mv "$out" "$dist/owner.yaml"
echo "krew/manifest.sh: wrote $dist/owner.yaml"
