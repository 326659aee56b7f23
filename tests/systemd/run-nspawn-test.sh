#!/usr/bin/env bash
# The unit under a real systemd: boots the machine's own /usr as a throw-away container
# (systemd-nspawn --volatile=yes, systemd as PID 1, a veth to the host) and checks, against
# units/packet-capture@.service and the built binary:
#   - systemd-analyze verify prints nothing; systemd-analyze security score <= SECURITY_GOAL
#     (and the same for units/packet-capture-agent.service)
#   - start reaches READY (Type=notify), STATUS= is set, the watchdog is not tripped
#   - traffic from the host end of the veth rotates files in the StateDirectory
#   - reload (SIGHUP) keeps the process and applies a changed IFACE.conf
#   - a hooks.d stage `packet-capture hook s3` uploads the finished files, byte for byte, to an
#     s3rver on the host end of the veth, with the keys from LoadCredential=, inside the sandbox
#   - stop finishes the last file (no .part) and exits 0
#   - a configuration error fails with status 78 and is not restarted
#   - a wedged capture loop (PACKET_CAPTURE_TEST_WEDGE_CAPTURE=1) is restarted by the watchdog
#   - units/packet-capture-agent.service as shipped (sandbox, CAP_DAC_READ_SEARCH only) reaches
#     READY with a STATUS= line, answers a signed request from a redis-server inside the
#     container with a cut of the host0 ring written by the capture unit's DynamicUser, keeps
#     its watchdog fed and stops cleanly
# Traffic goes only over the veth between the host and this container, inside a private /30.
# Everything started (container, s3rver) is stopped by PID and the veth removed, also on failure.
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
s3rver_pid=""

cleanup() {
  if [ -n "$s3rver_pid" ] && kill -0 "$s3rver_pid" 2>/dev/null; then
    kill -TERM "$s3rver_pid" 2>/dev/null
    for _ in $(seq 1 25); do kill -0 "$s3rver_pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$s3rver_pid" 2>/dev/null && kill -KILL "$s3rver_pid" 2>/dev/null
    wait "$s3rver_pid" 2>/dev/null
  fi
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

# The request agent's unit: the same checks.
agent_unit=packet-capture-agent.service
mkdir -p "$work/static/agent/shipped"
sed "s|/usr/sbin/packet-capture|$binary|g" "$units/$agent_unit" >"$work/static/agent/$agent_unit"
verify_err=$( (cd "$work/static/agent" && systemd-analyze verify --man=no "./$agent_unit") 2>&1 >/dev/null)
if [ -z "$verify_err" ]; then
  pass "systemd-analyze verify $agent_unit: no complaints"
else
  fail "systemd-analyze verify $agent_unit complains:"; echo "$verify_err" | sed 's/^/      /'
fi
cp "$units/$agent_unit" "$work/static/agent/shipped/$agent_unit"
security=$( (cd "$work/static/agent/shipped" && systemd-analyze security --offline=yes "./$agent_unit") 2>&1)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$security")
if [ -n "$score" ] && awk -v s="$score" -v g="$goal" 'BEGIN { exit !(s <= g) }'; then
  pass "systemd-analyze security --offline=yes $agent_unit: exposure $score (goal <= $goal)"
else
  fail "systemd-analyze security --offline=yes $agent_unit: exposure '$score' is not <= $goal; open items:"
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
section "upload from a hook under the hardened unit"
# s3rver (tests/integration/s3rver, key pair S3RVER/S3RVER as in test_s3_hook.py) on the host
# end of the veth; the unit gets the keys with LoadCredential= from a root-only directory and
# runs `packet-capture hook s3` from hooks.d/20-s3, as the dynamic user, inside its sandbox.
# start.js listens on 127.0.0.1 only: a launcher here passes the veth address instead.
s3_modules="$repo/tests/integration/s3rver"
s3_data="$work/s3rver-data"
s3_port=""
if ! command -v node >/dev/null || [ ! -f "$s3_modules/node_modules/@20minutes/s3rver/package.json" ]; then
  fail "s3rver is not installed (node and $s3_modules/node_modules): run scripts/install-test-peers.sh"
else
  mkdir -p "$s3_data"
  cat >"$work/s3rver-launch.js" <<'EOF'
// node s3rver-launch.js MODULES_DIR ADDRESS PORT DIRECTORY BUCKET: start.js with an address.
'use strict';
const [modules, address, port, directory, bucket] = process.argv.slice(2);
const S3rver = require(require.resolve('@20minutes/s3rver', { paths: [modules] }));
const server = new S3rver({ address, port: Number(port), directory, silent: true,
                            configureBuckets: [{ name: bucket }] });
server.run().then(({ port: actual }) => process.stdout.write(`listening ${actual}\n`),
                  (err) => { console.error(`s3rver failed to start: ${err.message}`); process.exit(1); });
const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
EOF
  node "$work/s3rver-launch.js" "$s3_modules" "$host_ip" 0 "$s3_data" pcaps \
    >"$work/s3rver.out" 2>"$work/s3rver.err" </dev/null &
  s3rver_pid=$!
  for _ in $(seq 1 100); do
    s3_port=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$work/s3rver.out")
    [ -n "$s3_port" ] && break
    kill -0 "$s3rver_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -n "$s3_port" ]; then
    pass "s3rver on the host end $host_ip:$s3_port (PID $s3rver_pid, bucket pcaps)"
  else
    fail "s3rver did not start on $host_ip:"; sed 's/^/      /' "$work/s3rver.err"
  fi
fi

if [ -n "$s3_port" ]; then
  # Keys in a root-only directory of the container, handed over by LoadCredential=.
  cx install -d -m 0700 /etc/packet-capture/credentials
  for cred in s3-access-key-id s3-secret-access-key; do
    printf 'S3RVER\n' | cx sh -c "umask 077 && cat >/etc/packet-capture/credentials/$cred"
  done
  cat >"$D/30-test-s3-credentials.conf" <<'EOF'
# Test only: the S3 key pair for hooks.d/20-s3.
[Service]
LoadCredential=s3-access-key-id:/etc/packet-capture/credentials/s3-access-key-id
LoadCredential=s3-secret-access-key:/etc/packet-capture/credentials/s3-secret-access-key
EOF
  # The uploads cross host0 too: unfiltered, each 1 MB upload is captured into the next 1 MB
  # file, which is uploaded in turn, and the ring never stops rotating.
  cat >"$D/31-test-s3-filter.conf" <<EOF
# Test only: do not capture the uploads themselves.
[Service]
Environment="FILTER=not (host $host_ip and tcp port $s3_port)"
EOF
  printf '[s3]\nendpoint = http://%s:%s\nregion = us-east-1\nbucket = pcaps\npath_style = yes\n' "$host_ip" "$s3_port" |
    cx tee /etc/packet-capture/packet-capture.conf >/dev/null
  cx chmod 644 /etc/packet-capture/packet-capture.conf
  reload_units
  # The hook is added after the restart: the process stopped here has no credentials, and
  # its last file's hooks run while it stops.
  if timeout 45 nsenter -t "$pid1" -a systemctl restart "$instance"; then
    pass "restart with LoadCredential= s3-access-key-id, s3-secret-access-key"
  else
    fail "restart with LoadCredential= failed"; cx systemctl status --no-pager -n 20 "$instance" | sed 's/^/      /'
  fi
  s3_main_pid=$(prop MainPID)
  creds=$(cx ls "/run/credentials/$instance" 2>/dev/null | tr '\n' ' ')
  note "credentials seen by the service: ${creds:-none}"
  printf '#!/bin/sh\nexec /opt/pc/packet-capture hook s3 "$1"\n' | cx tee /etc/packet-capture/hooks.d/20-s3 >/dev/null
  cx chmod 755 /etc/packet-capture/hooks.d/20-s3

  lines=$(journal_lines)
  find -H "$state_dir" -maxdepth 1 -name "pcap-$iface-*.pcap" -printf '%f\n' 2>/dev/null | sort >"$work/s3-before"
  send 4000 1200
  for _ in $(seq 1 50); do [ "$(finished)" -ge $(($(wc -l <"$work/s3-before") + 3)) ] && break; sleep 0.2; done
  # Then until no file has finished for a second: the writer is through the burst.
  n=$(finished)
  for _ in $(seq 1 10); do sleep 1; [ "$(finished)" = "$n" ] && break; n=$(finished); done
  find -H "$state_dir" -maxdepth 1 -name "pcap-$iface-*.pcap" -printf '%f\n' 2>/dev/null | sort >"$work/s3-after"
  comm -13 "$work/s3-before" "$work/s3-after" >"$work/s3-new"
  new_files=$(wc -l <"$work/s3-new")
  if [ "$new_files" -ge 3 ]; then pass "$new_files files finished with hooks.d/20-s3 in place"; else fail "only $new_files new finished files"; fi

  # Objects land in s3rver's directory as pcaps/KEY._S3rver_object (key {host}/{iface}/{file}).
  object_of() { find "$s3_data/pcaps" -type f -name "$1._S3rver_object" 2>/dev/null | head -1; }
  missing=$new_files
  for _ in $(seq 1 100); do
    missing=0
    while read -r f; do [ -n "$(object_of "$f")" ] || missing=$((missing + 1)); done <"$work/s3-new"
    [ "$missing" -eq 0 ] && break
    grep -q "hook 20-s3 failed" <<<"$(journal_since "$lines")" && break
    sleep 0.2
  done
  sleep 0.5   # s3rver renames the object into place; let the last write settle
  if [ "$new_files" -gt 0 ] && [ "$missing" -eq 0 ]; then
    pass "all $new_files finished files are objects in s3rver (e.g. ${s3_data#"$work"/}/pcaps/$(object_of "$(head -1 "$work/s3-new")" | sed "s|^$s3_data/pcaps/||"))"
  else
    fail "$missing of $new_files finished files were not uploaded within ~20 s"
  fi
  differ=0; compared=0
  while read -r f; do
    o=$(object_of "$f"); [ -n "$o" ] || continue
    compared=$((compared + 1))
    cmp -s "$o" "$state_dir/$f" || { differ=$((differ + 1)); note "differs: $f ($(stat -c %s "$o") vs $(stat -c %s "$state_dir/$f") bytes)"; }
  done <"$work/s3-new"
  if [ "$compared" -gt 0 ] && [ "$differ" -eq 0 ]; then
    pass "uploaded objects equal the ring files byte for byte ($compared compared)"
  elif [ "$compared" -eq 0 ]; then
    fail "no uploaded object to compare with the ring files"
  else
    fail "$differ of $compared uploaded objects differ from the ring files"
  fi
  log=$(journal_since "$lines")
  if grep -q "hook 20-s3 failed\|hook 20-s3 asks to retry" <<<"$log"; then
    fail "the journal shows failed or retried uploads:"; grep "hook 20-s3" <<<"$log" | head -8 | sed 's/^/      /'
  else
    pass "no 'hook 20-s3 failed' lines in the journal"
  fi
  up=$(cx journalctl -q --no-pager -o cat HOOK=20-s3 2>/dev/null | grep "uploaded .* to s3://pcaps/" | grep -cF -f "$work/s3-new")
  if [ "$up" -eq "$new_files" ] && [ "$up" -gt 0 ]; then
    pass "the hook logged one 'uploaded ... to s3://pcaps/...' line per file with HOOK=20-s3 ($up)"
  else
    fail "$up upload lines with HOOK=20-s3 in the journal for $new_files files"
  fi
  sleep 1
  if [ "$(finished)" -eq "$(wc -l <"$work/s3-after")" ]; then
    pass "the ring is quiet after the uploads (the filter keeps them out of the capture)"
  else
    fail "$(($(finished) - $(wc -l <"$work/s3-after"))) more files finished after the test traffic (uploads captured?)"
  fi
  if [ "$(prop NRestarts)" = 0 ] && [ "$(prop MainPID)" = "$s3_main_pid" ]; then
    pass "no restart while uploading (NRestarts 0)"
  else
    fail "restarted while uploading (NRestarts $(prop NRestarts), MainPID $(prop MainPID), was $s3_main_pid)"
  fi
  # Later phases run without the upload stage, its credentials and filter (the running
  # process keeps them until it stops; s3rver keeps running until the clean-up).
  cx rm -f /etc/packet-capture/hooks.d/20-s3 /etc/packet-capture/packet-capture.conf
  rm -f "$D/30-test-s3-credentials.conf" "$D/31-test-s3-filter.conf"
  reload_units
fi

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
section "the request agent under its hardened unit"
# A redis-server of the container's own on its loopback, the shipped agent unit (binary from
# the build tree), and a signed request for the ring host0 captured above.
AD="$U/$agent_unit.d"
mkdir -p "$AD"
cp "$units/$agent_unit" "$U/$agent_unit"
agent_exec=$(grep -m1 '^ExecStart=' "$units/$agent_unit" | sed 's|/usr/sbin/packet-capture|/opt/pc/packet-capture|')
printf '# Test only: the binary from the build tree.\n[Service]\nExecStart=\n%s\n' "$agent_exec" >"$AD/10-test-binary.conf"
reload_units
agent_prop() { cx systemctl show -P "$1" "$agent_unit" 2>/dev/null; }
cx systemd-run --quiet --unit=test-redis /usr/bin/redis-server --port 6390 --bind 127.0.0.1 --save "" --appendonly no
openssl genpkey -algorithm ed25519 -out "$work/ops.key" 2>/dev/null
cx mkdir -p /etc/packet-capture/trusted-keys.d /run/test-keys
openssl pkey -in "$work/ops.key" -pubout 2>/dev/null | cx tee /etc/packet-capture/trusted-keys.d/ops.pub >/dev/null
cx tee /run/test-keys/ops.key <"$work/ops.key" >/dev/null
cx chmod 600 /run/test-keys/ops.key
printf '[agent]\nnode = nspawn-node\n\n[redis]\nport = 6390\n' | cx tee /etc/packet-capture/agent.conf >/dev/null
for _ in $(seq 1 50); do cx redis-cli -p 6390 ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
if timeout 45 nsenter -t "$pid1" -a systemctl start "$agent_unit"; then
  pass "systemctl start $agent_unit returned (READY=1 reached)"
else
  fail "systemctl start $agent_unit failed"; cx systemctl status --no-pager -n 20 "$agent_unit" | sed 's/^/      /'
fi
for _ in $(seq 1 50); do agent_prop StatusText | grep -q "node nspawn-node" && break; sleep 0.2; done
status_text=$(agent_prop StatusText)
if grep -q "node nspawn-node: 0 running" <<<"$status_text"; then pass "STATUS=: $status_text"; else fail "STATUS= is '$status_text'"; fi
answers=$(timeout 60 nsenter -t "$pid1" -a /opt/pc/packet-capture request --node nspawn-node -i "$iface" --last 30m \
  --key /run/test-keys/ops.key --redis-port 6390 --wait 40 --expect 1 --json 2>"$work/request.err")
request_rc=$?
final=$(tail -1 <<<"$answers")
packets=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); print(a.get("packets", 0) if a.get("state") in ("done", "partial") else -1)' "$final" 2>/dev/null)
if [ "$request_rc" = 0 ] && [ "${packets:-0}" -gt 0 ] 2>/dev/null; then
  pass "a signed request is answered from the ring inside the sandbox: $packets packets"
else
  fail "request exit $request_rc, answers: $answers $(cat "$work/request.err")"
  cx journalctl -q -u "$agent_unit" --no-pager -o cat | tail -10 | sed 's/^/      /'
fi
result_dir=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("result", ""))' "$final" 2>/dev/null)
if [ -n "$result_dir" ] && [ -s "/proc/$pid1/root$result_dir/manifest.json" ] && [ -s "/proc/$pid1/root$result_dir/capture.pcapng" ]; then
  pass "result and manifest in the agent's StateDirectory: $result_dir"
else
  fail "no result files at '$result_dir'"
fi
if [ "$(agent_prop NRestarts)" = 0 ] && [ "$(agent_prop ActiveState)" = active ]; then
  pass "agent active, never restarted (watchdog fed)"
else
  fail "agent $(agent_prop ActiveState), NRestarts $(agent_prop NRestarts)"
fi
if timeout 40 nsenter -t "$pid1" -a systemctl stop "$agent_unit" && [ "$(agent_prop Result)" = success ]; then
  pass "systemctl stop $agent_unit: result success"
else
  fail "agent stop: result '$(agent_prop Result)'"
fi
cx systemctl stop test-redis 2>/dev/null

# ---------------------------------------------------------------------------------------------
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
