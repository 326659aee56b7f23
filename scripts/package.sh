#!/usr/bin/env bash
# Builds the Debian package packet-capture_VERSION_amd64.deb from debian/ with Debian's own
# tooling (debhelper, dpkg-buildpackage -us -uc -b), checks it with lintian, and prints the
# path of the .deb on the last line.
#
# Usage (root, Debian 12): scripts/package.sh [--version V] [--out DIR]
#   --version V  package version V instead of debian/changelog's (a native version: digits,
#                letters, . + ~, no hyphen); written into the changelog of the build copy only
#   --out DIR    where the .deb (with its -dbgsym .deb, .buildinfo and .changes) goes;
#                default build-deb/ in the source tree (ignored by git)
# Environment: DEB_BUILD_OPTIONS (default "nocheck parallel=2").
#
# It installs what it needs with apt-get (dpkg-dev, debhelper, lintian, fakeroot and the
# Build-Depends of debian/control), builds in a temporary copy of the source (the working
# tree's files, tracked and untracked but not ignored), so the checkout is never written to,
# and fails when lintian reports an error or a warning.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
version=""
out="$repo/build-deb"
while [ $# -gt 0 ]; do
  case $1 in
    --version) version=${2:?--version needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--version V] [--out DIR]" >&2; exit 64 ;;
  esac
done
if [ -n "$version" ] && ! [[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]]; then
  echo "package.sh: --version '$version': a native version starts with a digit and has only letters, digits, . + ~" >&2
  exit 64
fi

source "$repo/scripts/lib/apt.sh"
apt_install dpkg-dev debhelper lintian fakeroot build-essential
# The Build-Depends, as dpkg-checkbuilddeps reports them missing (without version bounds).
unmet=$(cd "$repo" && dpkg-checkbuilddeps 2>&1 >/dev/null |
  sed -n 's/.*Unmet build dependencies: //p' | sed 's/([^)]*)//g; s/|[^ ]*//g')
# shellcheck disable=SC2086  # a list of package names
[ -z "$unmet" ] || apt_install $unmet

work=$(mktemp -d /tmp/pc-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
src="$work/packet-capture"
mkdir -p "$src"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Tracked and untracked files, not the ignored ones (build trees, node_modules).
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$src"
else
  (cd "$repo" && tar --exclude=./build --exclude='./build-*' --exclude=./captures \
    --exclude=./tests/integration/s3rver/node_modules -cf - .) | tar -xf - -C "$src"
fi

if [ -n "$version" ]; then
  maintainer=$(sed -n 's/^Maintainer: //p' "$src/debian/control")
  { printf 'packet-capture (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * Built by scripts/package.sh --version %s.\n\n' "$version"
    printf ' -- %s  %s\n\n' "$maintainer" "$(date -R)"
    cat "$src/debian/changelog"; } >"$src/debian/changelog.new"
  mv "$src/debian/changelog.new" "$src/debian/changelog"
fi
version=$(cd "$src" && dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

echo "building packet-capture $version ($arch) in $work"
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck parallel=2}
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log" >&2
  echo "package.sh: dpkg-buildpackage failed (the last 40 lines are above)" >&2
  exit 1
fi

mkdir -p "$out"
deb="$out/packet-capture_${version}_${arch}.deb"
for f in "$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes; do
  [ -e "$f" ] && cp "$f" "$out/"
done
[ -f "$deb" ] || { echo "package.sh: $deb was not built" >&2; exit 1; }

echo "lintian $(basename "$deb")"
# Errors and warnings fail; informational tags are shown. Overrides with the reason for each
# are in debian/packet-capture.lintian-overrides.
lintian --display-info --fail-on error,warning "$deb" >&2

echo "$deb"
