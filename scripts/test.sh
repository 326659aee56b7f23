#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs unit and integration tests
# (integration tests need root: they create network namespaces and veth pairs), then
# builds the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer and runs them, and
# last fuzzes each parser of outside input for 30 s (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-test-peers.sh
jobs=$(nproc)

echo "== build"
bash scripts/build.sh
echo "== unit and integration tests"
(cd build && ctest --output-on-failure -j1)

echo "== unit tests under ASan + UBSan"
BUILD_DIR=build-sanitize bash scripts/build.sh -DPACKET_CAPTURE_SANITIZE=ON -DPACKET_CAPTURE_INTEGRATION_TESTS=OFF
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j"$jobs" -L unit)

echo "== fuzz targets, 30 s each"
bash scripts/fuzz.sh 30
