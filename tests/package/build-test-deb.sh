#!/usr/bin/env bash
# The package the package and fleet tests install: scripts/package.sh (lintian must pass) as
# OUT/packet-capture_0.1.0~pkgtest1_amd64.deb, lean (no debug information, no -dbgsym
# package: the package strips the binary anyway). About 8 minutes on 2 cores.
# Usage: tests/package/build-test-deb.sh OUT_DIR
set -euo pipefail
out=${1:?usage: $0 OUT_DIR}
repo=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$out"
mkdir -p "$out"
DEB_BUILD_OPTIONS="nocheck parallel=2 noautodbgsym" DEB_CXXFLAGS_STRIP="-g" \
  bash "$repo/scripts/package.sh" --version 0.1.0~pkgtest1 --out "$out"
