#!/usr/bin/env bash
# The unit under a real systemd: boots the machine's own /usr as a throw-away container
# (systemd-nspawn --volatile=yes, systemd as PID 1, a veth to the host) and checks, against
# units/packet-capture@.service and the built binary:
#   - systemd-analyze verify prints nothing; systemd-analyze security score <= SECURITY_GOAL
#   - start reaches READY (Type=notify), STATUS= is set, the watchdog is not tripped
#   - traffic from the host end of the veth rotates files in the StateDirectory
#   - reload (SIGHUP) keeps the process and applies a changed IFACE.conf
#   - stop finishes the last file (no .part) and exits 0
#   - a configuration error fails with status 78 and is not restarted
#   - a wedged capture loop (PACKET_CAPTURE_TEST_WEDGE_CAPTURE=1) is restarted by the watchdog
# Traffic goes only over the veth between the host and this container, inside a private /30.
# Everything started is stopped by PID and the veth removed, also on failure.
#
# Usage (root): tests/systemd/run-nspawn-test.sh [--binary build/packet-capture] [--units units]
# Environment: SECURITY_GOAL (default 2.0), KEEP_WORKDIR=1 keeps the temporary files.
# Prints "N passed, N failed"; exits 1 on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
binary="$repo/build/packet-capture"
units="$repo/units"
goal=${SECURITY_GOAL:-2.0}
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --units) units=$2; shift 2 ;;
    --goal) goal=$2; shift 2 ;;
    *) echo "usage: $0 [--binary PATH] [--units DIR] [--goal SCORE]" >&2; exit 64 ;;
  esac
done

unit_name=packet-capture@.service
instance=packet-capture@host0.service
iface=host0

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
note() { echo "      $*"; }
section() { echo "== $*"; }

# ---------------------------------------------------------------------------------------------
# Preconditions
if [ "$(id -u)" != 0 ]; then echo "FAIL: needs root"; echo "0 passed, 1 failed"; exit 1; fi
if ! command -v systemd-nspawn >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd-container >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd-container >/dev/null; }
fi
for tool in systemd-nspawn systemd-analyze nsenter ip python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (scripts/install-test-peers.sh)"; echo "0 passed, 1 failed"; exit 1; }
done
if [ ! -x "$binary" ] || [ ! -f "$units/$unit_name" ]; then
  echo "FAIL: need $binary (build first) and $units/$unit_name"; echo "0 passed, 1 failed"; exit 1
fi

work=$(mktemp -d /tmp/pc-nspawn.XXXXXX)
# Machine name short enough that the host end "ve-NAME" is not shortened (IFNAMSIZ).
name="pcst$((RANDOM % 90000 + 10000))"
host_if="ve-$name"
nspawn_pid=""
pid1=""

cleanup() {
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # SIGTERM asks nspawn for an orderly shutdown of the container; then force it.
    kill -TERM "$nspawn_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      [ -n "$pid1" ] && kill -KILL "$pid1" 2>/dev/null
      kill -KILL "$nspawn_pid" 2>/dev/null
      sleep 0.5
    fi
  fi
  ip link show "$host_if" >/dev/null 2>&1 && ip link del "$host_if" 2>/dev/null
  if [ "${KEEP_WORKDIR:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
section "static checks of $unit_name"

mkdir -p "$work/static"
# verify checks that ExecStart= is executable: point the copy at the built binary (only the
# path changes).  --man=no: the man page is not installed from a build tree.
sed "s|/usr/sbin/packet-capture|$binary|g" "$units/$unit_name" >"$work/static/$unit_name"
ln -s "$unit_name" "$work/static/$instance"
verify_err=$( (cd "$work/static" && systemd-analyze verify --man=no "./$instance") 2>&1 >/dev/null)
if [ -z "$verify_err" ]; then
  pass "systemd-analyze verify: no complaints"
else
  fail "systemd-analyze verify complains:"; echo "$verify_err" | sed 's/^/      /'
fi

# The security score is taken on the unit exactly as shipped.
mkdir -p "$work/static/shipped"
cp "$units/$unit_name" "$work/static/shipped/$unit_name"
ln -s "$unit_name" "$work/static/shipped/$instance"
security=$( (cd "$work/static/shipped" && systemd-analyze security --offline=yes "./$instance") 2>&1)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$security")
if [ -z "$score" ]; then
  fail "systemd-analyze security printed no score:"; echo "$security" | tail -5 | sed 's/^/      /'
elif awk -v s="$score" -v g="$goal" 'BEGIN { exit !(s <= g) }'; then
  pass "systemd-analyze security --offline=yes: exposure $score (goal <= $goal)"
else
  fail "systemd-analyze security --offline=yes: exposure $score is above the goal $goal; open items:"
  grep '✗' <<<"$security" | sed 's/  */ /g; s/^/      /'
fi

# ---------------------------------------------------------------------------------------------
section "container $name"

# The units directory bound over the container's /etc/systemd/system:
#  - the shipped unit, minus its dependency on the interface's .device unit: the container has
#    no udev, so that unit never appears, and a drop-in cannot remove dependencies
#    (systemd.unit(5): dependency lists cannot be reset);
#  - a test drop-in pointing ExecStart= at the bound binary (arguments kept as shipped);
#  - drop-ins each phase below adds and removes.
U="$work/units"
D="$U/$instance.d"
mkdir -p "$D" "$work/bin"
cp "$binary" "$work/bin/packet-capture"   # a copy: a rebuild during the test does not disturb it
sed -e '/^BindsTo=sys-subsystem-net-devices-%i\.device[[:space:]]*$/d' \
    -e 's/^\(After=.*\)sys-subsystem-net-devices-%i\.device/\1/' \
    "$units/$unit_name" >"$U/$unit_name"
exec_start=$(grep -m1 '^ExecStart=' "$units/$unit_name" | sed 's|/usr/sbin/packet-capture|/opt/pc/packet-capture|')
cat >"$D/10-test-binary.conf" <<EOF
# Test only: the binary from the build tree, bound at /opt/pc.
[Service]
ExecStart=
$exec_start
EOF
cat >"$D/20-test-small-files.conf" <<'EOF'
# Test only: 1 MB files so a few MB of traffic rotate; keep them all.
[Service]
Environment=FILESIZE=1
Environment=FILELIMIT=100
EOF
echo 'disable *' >"$work/preset"

setsid systemd-nspawn -b -D / --volatile=yes --register=no --keep-unit -M "$name" \
  --console=passive --network-veth \
  --bind-ro="$work/bin:/opt/pc" \
  --bind-ro="$U:/etc/systemd/system" \
  --bind-ro="$work/preset:/etc/systemd/system-preset/00-test.preset" \
  systemd.firstboot=off >"$work/nspawn.log" 2>&1 &
nspawn_pid=$!

for _ in $(seq 1 100); do
  pid1=$(ps -o pid= --ppid "$nspawn_pid" 2>/dev/null | head -1 | tr -d ' ')
  [ -n "$pid1" ] && [ "$(cat /proc/"$pid1"/comm 2>/dev/null)" = systemd ] && break
  pid1=""
  sleep 0.1
done
cx() { nsenter -t "$pid1" -a "$@"; }
state=""
# Until PID 1 listens, systemctl cannot connect: retry for up to 60 s.
if [ -n "$pid1" ]; then
  for _ in $(seq 1 120); do
    state=$(timeout 60 nsenter -t "$pid1" -a systemctl is-system-running --wait 2>/dev/null)
    case $state in running | degraded) break ;; esac
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.5
  done
fi
if [ "$state" = running ] || [ "$state" = degraded ]; then
  pass "container booted (systemd PID $pid1, state $state)"
else
  fail "container did not boot (state '${state}'):"; tail -20 "$work/nspawn.log" | sed 's/^/      /'
  echo "$passed passed, $failed failed"; exit 1
fi

# A private /30 between the host end and the container only, not used on this machine.
subnet=""
for _ in $(seq 1 50); do
  a=$((RANDOM % 200 + 20)); b=$((RANDOM % 250)); c=$(((RANDOM % 60) * 4))
  if ! ip -4 -o addr show | grep -q " 10\.$a\.$b\." && ! ip -4 route show | grep -q "^10\.$a\.$b\."; then
    subnet="10.$a.$b"; break
  fi
done
host_ip="$subnet.$((c + 1))"
guest_ip="$subnet.$((c + 2))"
if ip addr add "$host_ip/30" dev "$host_if" && ip link set "$host_if" up &&
   nsenter -t "$pid1" -n ip addr add "$guest_ip/30" dev "$iface" &&
   nsenter -t "$pid1" -n ip link set "$iface" up; then
  pass "veth $host_if ($host_ip/30) <-> $iface ($guest_ip/30)"
else
  fail "could not address the veth"; echo "$passed passed, $failed failed"; exit 1
fi

# send COUNT SIZE: UDP datagrams from the host end to the container, bound to the veth.
send() {
  python3 - "$host_if" "$guest_ip" "$1" "$2" <<'PY'
import socket, sys, time
dev, dst, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
for i in range(count):
    s.sendto(i.to_bytes(4, "big") * (size // 4), (dst, 9))
    if i % 200 == 199:
        time.sleep(0.01)  # gentle: no drops needed here
PY
}
state_dir="/proc/$pid1/root/var/lib/packet-capture/$iface"
finished() { find -H "$state_dir" -maxdepth 1 -name "pcap-$iface-*.pcap" 2>/dev/null | wc -l; }
parts() { find -H "$state_dir" -maxdepth 1 -name '*.part' 2>/dev/null | wc -l; }
prop() { cx systemctl show -P "$1" "$instance" 2>/dev/null; }
journal_lines() { cx journalctl -q -u "$instance" --no-pager -o cat 2>/dev/null | wc -l; }
journal_since() { cx journalctl -q -u "$instance" --no-pager -o cat 2>/dev/null | tail -n +"$(($1 + 1))"; }
reload_units() { cx systemctl daemon-reload; }

# A hook in hooks.d: it records each finished file next to the ring and prints a line that
# must reach the journal with the HOOK= field.
cx mkdir -p /etc/packet-capture/hooks.d
printf '#!/bin/sh\necho "$PCAP_SEQUENCE $PCAP_PACKETS $(grep CapEff /proc/self/status | tr -d "\\t")" >> "$(dirname "$1")/hook-ran.log"\necho "recorded $(basename "$1")"\n' |
  cx tee /etc/packet-capture/hooks.d/10-record >/dev/null
cx chmod 755 /etc/packet-capture/hooks.d/10-record

# ---------------------------------------------------------------------------------------------
section "start"
if timeout 45 nsenter -t "$pid1" -a systemctl start "$instance"; then
  pass "systemctl start returned (READY=1 reached)"
else
  fail "systemctl start failed"; cx systemctl status --no-pager -n 20 "$instance" | sed 's/^/      /'
fi
active=$(prop ActiveState); sub=$(prop SubState)
if [ "$active" = active ] && [ "$sub" = running ]; then pass "unit is active (running)"; else fail "unit is $active ($sub)"; fi
status_text=$(prop StatusText)
if [ -n "$status_text" ]; then pass "StatusText: $status_text"; else fail "StatusText is empty"; fi
main_pid=$(prop MainPID)

# ---------------------------------------------------------------------------------------------
section "rotation"
before=$(finished)
send 4000 1200
for _ in $(seq 1 50); do [ "$(finished)" -ge $((before + 3)) ] && break; sleep 0.2; done
after=$(finished)
if [ "$after" -ge $((before + 3)) ]; then pass "files rotate in the StateDirectory ($after finished files)"; else fail "only $after finished files after ~4.8 MB with FILESIZE=1"; fi
oversize=$(find -H "$state_dir" -maxdepth 1 -name "pcap-$iface-*.pcap" -size +1001000c | wc -l)
if [ "$oversize" -eq 0 ]; then pass "no file above FILESIZE=1 (plus one record)"; else fail "$oversize files larger than 1 MB"; fi
if [ "$(parts)" -eq 1 ]; then pass "exactly one .part (the live file)"; else fail "$(parts) .part files while running"; fi
if command -v tcpdump >/dev/null; then
  first=$(find -H "$state_dir" -maxdepth 1 -name "pcap-$iface-*.pcap" | sort | head -1)
  n=$(tcpdump -nr "$first" udp and dst host "$guest_ip" 2>/dev/null | wc -l)
  if [ "$n" -gt 0 ]; then pass "tcpdump reads $n test datagrams from $(basename "$first")"; else fail "tcpdump finds no test datagrams in $first"; fi
fi
hook_log="$state_dir/hook-ran.log"
for _ in $(seq 1 50); do [ "$(wc -l < "$hook_log" 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.2; done
if [ "$(wc -l < "$hook_log" 2>/dev/null || echo 0)" -ge 3 ]; then
  pass "the hooks.d hook ran for the finished files ($(wc -l < "$hook_log") so far)"
else
  fail "the hook did not run for the finished files"
fi
if grep -qv 'CapEff:0000000000000000' "$hook_log" 2>/dev/null; then fail "a hook ran with capabilities: $(head -1 "$hook_log")"; else pass "hooks run without capabilities"; fi
if cx journalctl -q --no-pager -o cat HOOK=10-record 2>/dev/null | grep -q "recorded pcap-$iface-"; then
  pass "hook output is in the journal with HOOK=10-record"
else
  fail "no journal entries with HOOK=10-record"
  cx journalctl -q --no-pager -u "$instance" -o verbose 2>/dev/null | grep -B12 -m1 "recorded" | sed 's/^/      /'
fi
status_text=$(prop StatusText)
note "StatusText now: $status_text"
if [ "$(prop NRestarts)" = 0 ] && [ "$(prop MainPID)" = "$main_pid" ]; then pass "no restart while capturing"; else fail "restarted while capturing (NRestarts $(prop NRestarts))"; fi

# ---------------------------------------------------------------------------------------------
section "reload (SIGHUP)"
# A changed IFACE.conf must apply without a restart: rotate_seconds = 1 makes even a trickle
# of traffic rotate every second (the test drop-ins do not set ROTATE_SECONDS).
cx mkdir -p /etc/packet-capture
printf '[capture]\nrotate_seconds = 1\n' | cx tee "/etc/packet-capture/$iface.conf" >/dev/null
lines=$(journal_lines)
if [ -z "$(prop ExecReload)" ]; then
  fail "reload: the unit has no ExecReload= (SIGHUP reload not wired up)"
elif timeout 30 nsenter -t "$pid1" -a systemctl reload "$instance" 2>"$work/reload.err"; then
  sleep 1
  if [ "$(prop MainPID)" = "$main_pid" ] && [ "$(prop ActiveState)" = active ]; then
    pass "reload keeps the same process, active"
  else
    fail "reload: MainPID $(prop MainPID) (was $main_pid), $(prop ActiveState)"
  fi
  log=$(journal_since "$lines")
  if grep -qiE "not (supported|implemented)" <<<"$log"; then
    fail "reload: the daemon says reload is not supported:"; grep -iE "not (supported|implemented)" <<<"$log" | sed 's/^/      /'
  else
    before=$(finished)
    for _ in 1 2 3 4; do send 20 200; sleep 1; done
    sleep 1.5
    after=$(finished)
    if [ "$after" -ge $((before + 2)) ]; then
      pass "reload applied rotate_seconds = 1 from $iface.conf ($((after - before)) files in ~5 s of trickle)"
    else
      fail "reload did not apply rotate_seconds = 1 from $iface.conf ($((after - before)) new files in ~5 s)"
    fi
  fi
else
  fail "systemctl reload failed: $(cat "$work/reload.err")"
fi
cx rm -f "/etc/packet-capture/$iface.conf"

# ---------------------------------------------------------------------------------------------
section "stop"
lines=$(journal_lines)
before=$(finished)
send 50 200
sleep 1.2   # reaches the .part within a second
if timeout 40 nsenter -t "$pid1" -a systemctl stop "$instance"; then pass "systemctl stop returned"; else fail "systemctl stop failed"; fi
if [ "$(parts)" -eq 0 ]; then pass "no .part left after stop"; else fail "$(parts) .part files left after stop"; fi
if [ "$(finished)" -gt "$before" ]; then pass "the last file was finished at stop"; else fail "no file finished at stop"; fi
# systemd counts death by SIGTERM as a clean stop (Result=success, status 0; ExecMainCode is
# not kept after the unit goes inactive): the summary line below shows the process ran its
# stop path and exited by itself.
st=$(prop ExecMainStatus); res=$(prop Result)
if [ "$st" = 0 ] && [ "$res" = success ]; then pass "exit status 0, result success"; else fail "exit status '$st', result '$res'"; fi
if journal_since "$lines" | grep -q "captured="; then
  pass "summary logged: $(journal_since "$lines" | grep -m1 "captured=")"
else
  fail "no captured=... summary in the journal (killed by SIGTERM instead of stopping?); journal:"
  journal_since "$lines" | tail -8 | sed 's/^/      /'
fi

# ---------------------------------------------------------------------------------------------
section "configuration error"
cat >"$D/80-test-bad-config.conf" <<'EOF'
[Service]
Environment=FILESIZE=abc
EOF
reload_units
lines=$(journal_lines)
if timeout 30 nsenter -t "$pid1" -a systemctl start "$instance" 2>/dev/null; then
  fail "start with FILESIZE=abc succeeded"
else
  pass "start with FILESIZE=abc fails"
fi
sleep 7   # longer than RestartSec=5: a restart would have happened
st=$(prop ExecMainStatus); active=$(prop ActiveState); nr=$(prop NRestarts)
if [ "$active" = failed ] && [ "$st" = 78 ]; then pass "failed with exit status 78"; else fail "state $active, exit status '$st' (want failed, 78)"; fi
if [ "$nr" = 0 ]; then pass "no restart loop (NRestarts 0)"; else fail "restarted $nr times on a configuration error"; fi
msg=$(journal_since "$lines" | grep -m1 "FILESIZE=abc")
if [ -n "$msg" ]; then pass "error names the value: $msg"; else fail "journal has no line naming FILESIZE=abc"; fi
rm -f "$D/80-test-bad-config.conf"
reload_units
cx systemctl reset-failed "$instance"

# ---------------------------------------------------------------------------------------------
section "watchdog"
cat >"$D/90-test-watchdog.conf" <<'EOF'
# Test only: a short watchdog and a quick restart.
[Service]
WatchdogSec=3s
RestartSec=1
EOF
reload_units
if timeout 45 nsenter -t "$pid1" -a systemctl start "$instance"; then
  pid=$(prop MainPID)
  send 200 200
  sleep 8
  if [ "$(prop MainPID)" = "$pid" ] && [ "$(prop NRestarts)" = 0 ] && [ "$(prop ActiveState)" = active ]; then
    pass "healthy daemon keeps the watchdog fed (WatchdogSec=3s, 8 s)"
  else
    fail "watchdog tripped on a healthy daemon (NRestarts $(prop NRestarts), $(prop ActiveState))"
  fi
  timeout 40 nsenter -t "$pid1" -a systemctl stop "$instance"
else
  fail "start with WatchdogSec=3s failed"
fi

cat >>"$D/90-test-watchdog.conf" <<'EOF'
# Test-only fault switch of the daemon: the capture loop stops making progress.
Environment=PACKET_CAPTURE_TEST_WEDGE_CAPTURE=1
EOF
reload_units
cx systemctl reset-failed "$instance" 2>/dev/null
lines=$(journal_lines)
if timeout 45 nsenter -t "$pid1" -a systemctl start "$instance"; then
  pid=$(prop MainPID)
  for _ in $(seq 1 40); do [ "$(prop NRestarts)" -ge 1 ] 2>/dev/null && break; sleep 0.5; done
  nr=$(prop NRestarts)
  log=$(journal_since "$lines")
  if [ "$nr" -ge 1 ] 2>/dev/null && grep -qi "watchdog timeout" <<<"$log"; then
    pass "wedged capture loop: watchdog timeout, restarted (NRestarts $nr)"
  else
    fail "wedged capture loop was not restarted by the watchdog within 20 s (NRestarts $nr):" \
         "is PACKET_CAPTURE_TEST_WEDGE_CAPTURE=1 implemented by the daemon?"
  fi
else
  fail "start with PACKET_CAPTURE_TEST_WEDGE_CAPTURE=1 failed (READY=1 should still be sent)"
fi
timeout 40 nsenter -t "$pid1" -a systemctl stop "$instance"
rm -f "$D/90-test-watchdog.conf"

# ---------------------------------------------------------------------------------------------
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
