#!/usr/bin/env bash
# Installs everything packet-capture needs to build, test, fuzz (clang, libFuzzer) and benchmark
# on Debian 12.
# Idempotent: packages already present are skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_install \
  build-essential cmake pkg-config \
  libpcap-dev libsystemd-dev libinih-dev libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libexpat1-dev libxxhash-dev libhiredis-dev librdkafka-dev \
  libgtest-dev libgmock-dev openssl \
  clang-14 libclang-rt-14-dev \
  iproute2 tcpdump tshark python3 time procps util-linux  # integration tests: namespaces, independent readers
