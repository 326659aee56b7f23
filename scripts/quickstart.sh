#!/usr/bin/env bash
# Installs the dependencies, builds, and captures on an interface (default: lo) into
# ./captures with the default ring (25 MB files, 10 of them) until Ctrl-C.
# Usage: sudo scripts/quickstart.sh [IFACE] [extra run flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
iface=${1:-lo}
shift || true
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p captures
echo "capturing on $iface into $(pwd)/captures; Ctrl-C to stop (the current file is finished)"
exec build/packet-capture run --interface "$iface" --output-dir captures "$@"
