#!/usr/bin/env bash
# Installs the real peers the integration tests talk to (see /work/shared/TESTING.md).
# Idempotent: each section skips what is already installed. One section per peer; add yours
# as a function below and call it at the end.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO_ROOT/scripts/lib/apt.sh"

# --- S3: npm @20minutes/s3rver 4.0.4 (verifies SigV4), pinned in tests/integration/s3rver/package.json
install_s3rver() {
  local dir="$REPO_ROOT/tests/integration/s3rver"
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  if [ "$(node -p 'require("'"$dir"'/node_modules/@20minutes/s3rver/package.json").version' 2>/dev/null)" != "4.0.4" ]; then
    npm install --prefix "$dir" --no-audit --no-fund
  fi
}

# --- SQS and SNS: npm fauxqs 1.9.2 (the agent's SQS bus), pinned in tests/integration/fauxqs/package.json
install_fauxqs() {
  local dir="$REPO_ROOT/tests/integration/fauxqs"
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  if [ "$(node -p 'require("'"$dir"'/node_modules/fauxqs/package.json").version' 2>/dev/null)" != "1.9.2" ]; then
    npm install --prefix "$dir" --no-audit --no-fund
  fi
}

# --- SELinux policy build and checks (tests/selinux/check-policy.sh)
install_selinux_tools() {
  apt_install selinux-policy-dev checkpolicy semodule-utils policycoreutils setools selinux-policy-default
}

# --- systemd in a throwaway container (tests/systemd/run-nspawn-test.sh)
install_systemd_container() {
  apt_install systemd-container
}

# --- Suricata 7 from bookworm-backports (tests/integration/test_suricata_hook.py)
install_suricata() {
  command -v suricata >/dev/null && return 0
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # Same mirror as the machine's own bookworm entry (deb822 or one-line format).
    local uri
    uri=$(awk '/^URIs:/{u=$2} /^Suites:/ && /[: ]bookworm( |$)/{print u; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '$1=="deb" && $3=="bookworm"{print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
    [ -n "$uri" ] || { echo "no bookworm entry in the apt sources to derive bookworm-backports from" >&2; return 1; }
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" |
      $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports suricata
}

# --- tools the example hooks use (tests/integration/test_example_hooks.py)
install_hook_tools() {
  apt_install zstd rsync
}

# --- Redis 7 for the agent's request bus (tests/integration/test_agent.py starts its own server)
install_redis() {
  apt_install redis-server redis-tools
}

# --- Ansible (tests/fleet: the role and playbooks over the community.docker.nsenter
# connection, which the ansible package bundles) and ansible-lint
install_ansible() {
  apt_install ansible ansible-lint
}

install_s3rver
install_fauxqs
install_redis
install_selinux_tools
install_systemd_container
install_suricata
install_hook_tools
install_ansible
