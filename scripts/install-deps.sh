#!/usr/bin/env bash
# Installs everything packet-capture needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
packages=(
  build-essential cmake pkg-config
  libpcap-dev libsystemd-dev libinih-dev libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev
  # integration tests and benchmarks: namespaces, independent readers, generators, timing
  iproute2 tcpdump tshark python3 time procps util-linux
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
