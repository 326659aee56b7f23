#!/usr/bin/env bash
# bench/install-deps.sh - installs what bench/run.sh, offline.sh and extract.sh need on Debian 12,
# on top of scripts/install-deps.sh. Non-interactive and idempotent. dumpcap comes with
# wireshark-common (pulled in by tshark), kept non-setuid.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/apt.sh"
apt_install tcpdump tshark tcpreplay stenographer stenographer-client hyperfine time gcc libc6-dev libpcap-dev iproute2 procps util-linux coreutils gawk python3
