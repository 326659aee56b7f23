#!/usr/bin/env bash
# Checks the SELinux policy module in selinux/ without an SELinux kernel:
#   1. builds packet_capture.pp with the refpolicy development Makefile (bad rules fail);
#   2. installs Debian's selinux-policy-default modules into a PRIVATE store (never the
#      machine's own) with expand-check = 1, then our module on top: .fc types that do not
#      exist and neverallow violations fail here;
#   3. asks the compiled policy of that store (sesearch, seinfo) for the rules the product
#      promises: hooks may upload, the capture domain may not connect or run a shell, the
#      daemon runs hooks in their own domain, and it may open packet sockets.
# Needs root only to install missing packages.  Prints "N passed, N failed"; exit 1 on any
# failure.  Runtime ~30 s (most of it building the base store).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
module=packet_capture

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# --- tools (the same packages as the SELinux section of scripts/install-test-peers.sh)
packages=(selinux-policy-dev checkpolicy semodule-utils policycoreutils setools selinux-policy-default)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" != 0 ] || ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; }; then
    fail "cannot install ${missing[*]} (run scripts/install-test-peers.sh as root)"
    finish
  fi
fi

work=$(mktemp -d /tmp/pc-selinux.XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- 1. build the module (copy: the devel Makefile writes tmp/ next to the sources)
cp "$repo/selinux/$module".{te,fc,if} "$work/"
if (cd "$work" && make -s -f /usr/share/selinux/devel/Makefile "$module.pp") >"$work/build.log" 2>&1; then
  pass "module builds with /usr/share/selinux/devel/Makefile"
else
  cat "$work/build.log"
  fail "module does not build"
  finish
fi

# --- 2. a private store: <root>/etc/selinux/semanage.conf is read instead of the system's
store="$work/store"
mkdir -p "$store/etc/selinux" "$store/var/lib/selinux"
cat >"$store/etc/selinux/semanage.conf" <<'CONF'
module-store = direct
expand-check = 1
usepasswd = false
disable-genhomedircon = true
CONF
base_args=()
for f in /usr/share/selinux/default/*.pp.bz2; do base_args+=(-i "$f"); done
quiet() { grep -v "genhomedircon is disabled" || true; }
if semodule -p "$store" -s default -n "${base_args[@]}" > >(quiet) 2>&1; then
  pass "selinux-policy-default ($(( ${#base_args[@]} / 2 )) modules) installs into the private store"
else
  fail "selinux-policy-default does not install into the private store"
  finish
fi
if semodule -p "$store" -s default -n -i "$work/$module.pp" >"$work/install.log" 2>&1; then
  pass "module installs with expand-check (types in .fc exist, no neverallow violated)"
else
  quiet <"$work/install.log"
  fail "module does not install into the store (see above)"
  finish
fi

policy=$(ls "$store"/etc/selinux/default/policy/policy.* | head -1)
fc="$store/etc/selinux/default/contexts/files/file_contexts"

# --- 3. the rules
# expect_rules DESCRIPTION sesearch-args...: at least one rule matches
expect_rules() {
  local what=$1; shift
  local out
  out=$(sesearch "$@" "$policy" 2>&1)
  if [ -n "$out" ] && ! grep -qi "error" <<<"$out"; then pass "$what"; else fail "$what (sesearch $* found nothing)"; fi
}
# expect_none DESCRIPTION sesearch-args...: no rule matches, under any boolean value
expect_none() {
  local what=$1; shift
  local out
  out=$(sesearch "$@" "$policy" 2>&1)
  if [ -z "$out" ]; then pass "$what"; else fail "$what:"; echo "$out" | sed 's/^/    /'; fi
}

expect_rules "hook domain may connect to http_port_t" \
  -A -s packet_capture_hook_t -t http_port_t -c tcp_socket -p name_connect
expect_none "capture domain may not connect to any TCP port" \
  -A -s packet_capture_t -c tcp_socket -p name_connect
expect_none "capture domain may not connect any TCP socket" \
  -A -s packet_capture_t -c tcp_socket -p connect
expect_none "capture domain may not execute a shell" \
  -A -s packet_capture_t -t shell_exec_t -c file -p execute
expect_none "capture domain may not execute bin_t programs" \
  -A -s packet_capture_t -t bin_t -c file -p execute
expect_rules "packet_capture_t -> packet_capture_hook_t on packet_capture_hook_exec_t" \
  -T -s packet_capture_t -t packet_capture_hook_exec_t -c process -D packet_capture_hook_t
expect_rules "the transition into the hook domain is allowed (process transition)" \
  -A -s packet_capture_t -t packet_capture_hook_t -c process -p transition
expect_rules "the transition into the hook domain works under NoNewPrivileges (nnp_transition)" \
  -A -s packet_capture_t -t packet_capture_hook_t -c process2 -p nnp_transition
expect_rules "packet_capture_hook_exec_t is an entry point of packet_capture_hook_t" \
  -A -s packet_capture_hook_t -t packet_capture_hook_exec_t -c file -p entrypoint
expect_rules "init_t -> packet_capture_t on packet_capture_exec_t (init_daemon_domain)" \
  -T -s init_t -t packet_capture_exec_t -c process -D packet_capture_t
expect_rules "packet_capture_t has packet_socket create" \
  -A -s packet_capture_t -t packet_capture_t -c packet_socket -p create
expect_rules "packet_capture_t may map the packet socket ring (TPACKET_V3)" \
  -A -s packet_capture_t -t packet_capture_t -c packet_socket -p map
expect_rules "packet_capture_t has net_raw" \
  -A -s packet_capture_t -t packet_capture_t -c capability -p net_raw
expect_none "hook domain has no packet socket" \
  -A -s packet_capture_hook_t -c packet_socket -p create
expect_none "hook domain has no net_raw/net_admin" \
  -A -s packet_capture_hook_t -c capability -p net_raw,net_admin
expect_rules "packet_capture_t creates ring files" \
  -A -s packet_capture_t -t packet_capture_var_lib_t -c file -p create,write,rename,unlink
expect_rules "hook domain reads ring files" \
  -A -s packet_capture_hook_t -t packet_capture_var_lib_t -c file -p read
expect_none "hook domain does not write ring files" \
  -A -s packet_capture_hook_t -t packet_capture_var_lib_t -c file -p write,unlink,append
expect_rules "packet_capture_t can write the sd_notify socket (init_runtime_t)" \
  -A -s packet_capture_t -t init_runtime_t -c sock_file -p write
expect_rules "packet_capture_t can send to init (sd_notify)" \
  -A -s packet_capture_t -t init_t -c unix_dgram_socket -p sendto
expect_rules "hook domain reads generic certs" \
  -A -s packet_capture_hook_t -t cert_t -c file -p read
expect_rules "hook domain runs a shell" \
  -A -s packet_capture_hook_t -t shell_exec_t -c file -p execute

# File contexts installed in the store, and what they label.
check_fc() {
  local path=$1 type=$2
  if grep -F -- "$path" "$fc" | grep -q ":$type:"; then pass "file context $path -> $type"; else fail "file context $path -> $type missing"; fi
}
check_fc '/usr/sbin/packet-capture' packet_capture_exec_t
check_fc '/etc/packet-capture(/.*)?' packet_capture_conf_t
check_fc '/etc/packet-capture/hooks\.d(/.*)?' packet_capture_hook_exec_t
check_fc '/var/lib/packet-capture(/.*)?' packet_capture_var_lib_t

for b in packet_capture_hook_connect_any packet_capture_hook_connect_suricata; do
  if seinfo -b "$b" "$policy" 2>/dev/null | grep -q "$b"; then pass "boolean $b exists"; else fail "boolean $b missing"; fi
done

finish
