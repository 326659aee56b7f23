#!/usr/bin/env bash
# bench/install-deps.sh - installs what bench/run.sh and bench/offline.sh need on Debian 12,
# on top of scripts/install-deps.sh. Non-interactive and idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
pkgs=(tcpdump tshark hyperfine time gcc libc6-dev libpcap-dev iproute2 procps util-linux coreutils gawk python3)
need=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "bench deps: all present"
  exit 0
fi
echo "bench deps: installing ${need[*]}"
# dumpcap comes with wireshark-common (pulled by tshark); keep it non-setuid and skip the debconf prompt
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
