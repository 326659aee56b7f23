#!/usr/bin/env bash
# The Debian package under a real systemd: install, upgrade with a running capture, remove and
# purge, in a throw-away container that boots this machine's own root (systemd-nspawn
# --volatile=overlay: dpkg writes /usr, /etc and /var into a tmpfs, nothing survives; systemd
# as PID 1; a veth to the host). It checks:
#   - install A: dpkg -i succeeds, systemd was reloaded and knows both units from
#     /lib/systemd/system, neither is enabled nor started, /etc/packet-capture holds conffiles,
#     man page, example hooks and SELinux module are in place
#   - a capture (packet-capture@host0, 1 MB files) rotates files with traffic from the host
#   - upgrade to B while it runs: the instance is restarted exactly once (new MainPID and
#     InvocationID, one start in the journal, NRestarts 0) and runs the new binary; every file
#     of the ring is still there and the numbering goes on after it without a gap; the
#     administrator's edit of packet-capture.conf survives; the agent is still not started
#   - remove with the capture running: it is stopped, the binary and units are gone, the
#     conffiles and the ring stay; purge: /etc/packet-capture and the rings are gone
# Traffic goes only over the veth between the host and this container, inside a private /30.
# Everything started (container) is stopped by PID and the veth removed, also on failure.
#
# Usage (root): tests/package/run-package-test.sh [--deb-a A.deb] [--deb-b B.deb]
# Without --deb-a, A is built with scripts/package.sh (version 0.1.0~pkgtest1, without
# debug information or -dbgsym package: about 8 min on 2 cores). Without --deb-b, B is A repacked with a higher version (A's version +
# "+upgrade1"): the same files, a new version, which is what dpkg and the maintainer scripts
# act on in an upgrade; pass --deb-b (a second scripts/package.sh --version build) to upgrade
# between two separate builds.
# Environment: KEEP_WORKDIR=1 keeps the temporary files.
# Prints "N passed, N failed"; exits 1 on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
deb_a=""
deb_b=""
while [ $# -gt 0 ]; do
  case $1 in
    --deb-a) deb_a=$2; shift 2 ;;
    --deb-b) deb_b=$2; shift 2 ;;
    *) echo "usage: $0 [--deb-a A.deb] [--deb-b B.deb]" >&2; exit 64 ;;
  esac
done

iface=host0
instance=packet-capture@$iface.service
agent=packet-capture-agent.service

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
note() { echo "      $*"; }
section() { echo "== $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

# ---------------------------------------------------------------------------------------------
# Preconditions
if [ "$(id -u)" != 0 ]; then echo "FAIL: needs root"; echo "0 passed, 1 failed"; exit 1; fi
if ! command -v systemd-nspawn >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd-container >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd-container >/dev/null; }
fi
for tool in systemd-nspawn nsenter ip python3 dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing"; echo "0 passed, 1 failed"; exit 1; }
done
# The container sees this machine's root: a packet-capture installed here would be there too.
if dpkg-query -W -f='${Status}' packet-capture 2>/dev/null | grep -q 'ok installed' || [ -e /usr/sbin/packet-capture ]; then
  echo "FAIL: packet-capture is installed on this machine; the container would start with it"
  echo "0 passed, 1 failed"; exit 1
fi

work=$(mktemp -d /tmp/pc-package-test.XXXXXX)
chmod 755 "$work"
# Machine name short enough that the host end "ve-NAME" is not shortened (IFNAMSIZ).
name="pcpk$((RANDOM % 90000 + 10000))"
host_if="ve-$name"
nspawn_pid=""
pid1=""

# shellcheck disable=SC2317  # run by the EXIT trap
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
  # The overlay over this machine's root, then the tmpfs under it; never delete through them.
  for m in "$work/root" "$work/overlay"; do
    mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
  done
  if mountpoint -q "$work/root" || mountpoint -q "$work/overlay"; then
    echo "work directory still mounted, not removed: $work"
  elif [ "${KEEP_WORKDIR:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
section "packages"
mkdir -p "$work/debs"
start_build=$SECONDS
if [ -z "$deb_a" ]; then
  # Lean: no debug information (the package strips the binary anyway) and no -dbgsym package.
  if deb_a=$(DEB_BUILD_OPTIONS="nocheck parallel=2 noautodbgsym" DEB_CXXFLAGS_STRIP="-g" \
       bash "$repo/scripts/package.sh" --version 0.1.0~pkgtest1 --out "$work/debs" 2>"$work/package.log" | tail -1) &&
     [ -f "$deb_a" ]; then
    pass "scripts/package.sh built $(basename "$deb_a") in $((SECONDS - start_build)) s, lintian without errors or warnings"
  else
    fail "scripts/package.sh failed:"; tail -30 "$work/package.log" | sed 's/^/      /'; finish
  fi
  grep -E '^[EWIPX]: ' "$work/package.log" | sed 's/^/      lintian /'
fi
[ -f "$deb_a" ] || { fail "no package A: $deb_a"; finish; }
version_a=$(dpkg-deb -f "$deb_a" Version)
if [ -z "$deb_b" ]; then
  version_b="$version_a+upgrade1"
  deb_b="$work/debs/packet-capture_${version_b}_$(dpkg-deb -f "$deb_a" Architecture).deb"
  dpkg-deb -R "$deb_a" "$work/repack" &&
    sed -i "s/^Version: .*/Version: $version_b/" "$work/repack/DEBIAN/control" &&
    dpkg-deb --root-owner-group -b "$work/repack" "$deb_b" >/dev/null
  rm -rf "$work/repack"
fi
[ -f "$deb_b" ] || { fail "no package B: $deb_b"; finish; }
version_b=$(dpkg-deb -f "$deb_b" Version)
if dpkg --compare-versions "$version_b" gt "$version_a"; then
  pass "A $version_a, B $version_b (B is newer)"
else
  fail "B's version $version_b is not newer than A's $version_a"; finish
fi
cp "$deb_a" "$work/debs/a.deb" && cp "$deb_b" "$work/debs/b.deb"

# ---------------------------------------------------------------------------------------------
section "container $name"
# The machine's root under an overlay whose upper layer is a tmpfs: every write, dpkg's
# included, goes there and vanishes with it, and dpkg's database is this machine's, so the
# package's dependencies are met. (systemd-nspawn refuses -D / with --volatile=overlay, and
# --volatile=yes keeps /usr read-only and /var empty.) The root must be one file system: the
# overlay does not show the mounts below it. Hidden behind empty tmpfs in the container:
# /etc/systemd/system (the services this machine enables would start there) and
# /var/log/journal; a machine id of its own; a preset file with `disable *` so that first boot
# enables nothing.
mkdir -p "$work/overlay" "$work/root"
if mount -t tmpfs -o size=2g,mode=0755 pc-package-test "$work/overlay" &&
   mkdir "$work/overlay/upper" "$work/overlay/work" &&
   mount -t overlay -o "lowerdir=/,upperdir=$work/overlay/upper,workdir=$work/overlay/work" pc-package-test "$work/root"; then
  pass "overlay of / with a tmpfs upper layer at $work/root"
else
  fail "could not mount the overlay"; finish
fi
echo 'disable *' >"$work/preset"
python3 -c 'import uuid; print(uuid.uuid4().hex)' >"$work/machine-id"
setsid systemd-nspawn -b -D "$work/root" --register=no --keep-unit -M "$name" \
  --console=passive --network-veth \
  --tmpfs=/etc/systemd/system --tmpfs=/var/log/journal \
  --bind-ro="$work/machine-id:/etc/machine-id" \
  --bind-ro="$work/debs:/debs" \
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
  finish
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
  fail "could not address the veth"; finish
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
root="/proc/$pid1/root"
state_dir="$root/var/lib/packet-capture/$iface"
ring() { find -H "$state_dir" -maxdepth 1 -name "pcap-$iface-*.pcap" -printf '%f\n' 2>/dev/null | sort; }
finished() { ring | wc -l; }
parts() { find -H "$state_dir" -maxdepth 1 -name '*.part' -printf '%f\n' 2>/dev/null; }
seq_of() { sed -n "s/^pcap-$iface-0*\([0-9][0-9]*\)\.pcap\(\.part\)\{0,1\}$/\1/p"; }
# Until no file has finished for a second.
settle() { local n; n=$(finished); for _ in $(seq 1 10); do sleep 1; [ "$(finished)" = "$n" ] && break; n=$(finished); done; }
prop() { cx systemctl show -P "$1" "$2" 2>/dev/null; }
reloads() { cx journalctl -q --no-pager -o cat _PID=1 2>/dev/null | grep -c '^Reloading'; }
journal_lines() { cx journalctl -q -u "$instance" --no-pager -o cat 2>/dev/null | wc -l; }
journal_since() { cx journalctl -q -u "$instance" --no-pager -o cat 2>/dev/null | tail -n +"$(($1 + 1))"; }
running_binaries() { cx pgrep -x packet-capture 2>/dev/null | wc -l; }
dpkg_in() { cx env DEBIAN_FRONTEND=noninteractive "$@" </dev/null >>"$work/dpkg.log" 2>&1; }

# This machine's /usr/sbin/policy-rc.d (Docker's "exit 101" here) tells deb-systemd-invoke to
# skip every start, stop and restart of the maintainer scripts; a Debian system booted with
# systemd has none, so the container's copy goes.
if [ -e "$root/usr/sbin/policy-rc.d" ]; then
  cx rm -f /usr/sbin/policy-rc.d
  note "removed this machine's /usr/sbin/policy-rc.d in the container"
fi

# ---------------------------------------------------------------------------------------------
section "install A ($version_a)"
r0=$(reloads)
if dpkg_in dpkg -i /debs/a.deb; then pass "dpkg -i A"; else fail "dpkg -i A failed:"; tail -20 "$work/dpkg.log" | sed 's/^/      /'; finish; fi
st=$(cx dpkg-query -W -f='${Status} ${Version}' packet-capture 2>/dev/null)
if [ "$st" = "install ok installed $version_a" ]; then pass "dpkg-query: $st"; else fail "dpkg-query: '$st'"; fi
r1=$(reloads)
if [ "$r1" -gt "$r0" ]; then pass "the postinst reloaded systemd ($((r1 - r0)) reload)"; else fail "systemd was not reloaded by the postinst"; fi
for u in "$instance" "$agent"; do
  frag=$(prop FragmentPath "$u"); load=$(prop LoadState "$u"); file_state=$(prop UnitFileState "$u"); act=$(prop ActiveState "$u")
  if [ "$load" = loaded ] && [[ $frag == /lib/systemd/system/packet-capture* ]]; then pass "$u: loaded from $frag"; else fail "$u: LoadState '$load', FragmentPath '$frag'"; fi
  if [ "$file_state" = disabled ] && [ "$act" = inactive ]; then pass "$u: disabled, inactive"; else fail "$u: $file_state, $act (the package must neither enable nor start it)"; fi
done
links=$(cx find /etc/systemd/system -name 'packet-capture*' 2>/dev/null)
if [ -z "$links" ]; then pass "no enablement links in /etc/systemd/system"; else fail "links: $links"; fi
if [ "$(running_binaries)" -eq 0 ]; then pass "no packet-capture process runs"; else fail "a packet-capture process runs after install"; fi
conffiles=$(cx dpkg-query -W -f='${Conffiles}' packet-capture | awk 'NF {print $1}' | sort | tr '\n' ' ')
want_conffiles="/etc/packet-capture/hooks.d/README /etc/packet-capture/packet-capture.conf "
if [ "$conffiles" = "$want_conffiles" ]; then pass "conffiles: $conffiles"; else fail "conffiles '$conffiles', want '$want_conffiles'"; fi
missing=""
for f in /usr/sbin/packet-capture /usr/share/man/man8/packet-capture.8.gz \
         /usr/share/selinux/packages/packet_capture.pp /usr/share/selinux/devel/include/contrib/packet_capture.if \
         /usr/share/doc/packet-capture/hooks/50-zstd /usr/share/doc/packet-capture/examples/eth0.env.example; do
  [ -f "$root$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then pass "binary, man page, SELinux module, example hooks and configuration in place"; else fail "missing:$missing"; fi
if cx /usr/sbin/packet-capture --version >/dev/null 2>&1; then pass "packet-capture --version runs"; else fail "packet-capture --version fails"; fi

# ---------------------------------------------------------------------------------------------
section "capture on $iface"
# Test only: the container has no udev, so the interface's .device unit never appears and the
# shipped BindsTo= would fail the start; a drop-in cannot remove a dependency. An
# administrator's full copy in /etc/systemd/system, minus those two lines, stands in for the
# package's unit (A and B ship the same unit; the maintainer scripts act on unit names).
sed -e '/^BindsTo=sys-subsystem-net-devices-%i\.device[[:space:]]*$/d' \
    -e 's/^\(After=.*\)sys-subsystem-net-devices-%i\.device/\1/' \
    "$root/lib/systemd/system/packet-capture@.service" | cx tee /etc/systemd/system/packet-capture@.service >/dev/null
cx mkdir -p "/etc/systemd/system/$instance.d"
printf '# Test only: 1 MB files so a few MB of traffic rotate; keep them all.\n[Service]\nEnvironment=FILESIZE=1\nEnvironment=FILELIMIT=100\n' |
  cx tee "/etc/systemd/system/$instance.d/test.conf" >/dev/null
cx systemctl daemon-reload
if timeout 45 nsenter -t "$pid1" -a systemctl start "$instance"; then
  pass "systemctl start $instance"
else
  fail "systemctl start failed"; cx systemctl status --no-pager -n 20 "$instance" | sed 's/^/      /'; finish
fi
send 4000 1200
for _ in $(seq 1 50); do [ "$(finished)" -ge 3 ] && break; sleep 0.2; done
settle
if [ "$(finished)" -ge 3 ]; then pass "files rotate ($(finished) finished, live $(parts))"; else fail "only $(finished) finished files after ~4.8 MB with FILESIZE=1"; fi
# Enabled by the administrator, as in the README: the link must survive the upgrade, and go
# with the purge.
wants_link=/etc/systemd/system/multi-user.target.wants/$instance
if cx systemctl enable "$instance" >/dev/null 2>&1 && [ -L "$root$wants_link" ]; then
  pass "systemctl enable $instance (link $wants_link)"
else
  fail "systemctl enable $instance made no link $wants_link"
fi
# The administrator edits a conffile (a comment: the file stays valid).
echo '# edited by the administrator (package test)' | cx tee -a /etc/packet-capture/packet-capture.conf >/dev/null
conf_sum=$(sha256sum <"$root/etc/packet-capture/packet-capture.conf")

# The agent too, if it starts here (no Redis: it keeps retrying, which is enough to run; it
# needs its trusted-keys directory, an administrator's file that purge leaves alone).
agent_pid=""
cx mkdir -p -m 0755 /etc/packet-capture/trusted-keys.d
if timeout 45 nsenter -t "$pid1" -a systemctl start "$agent" 2>/dev/null && [ "$(prop ActiveState "$agent")" = active ]; then
  agent_pid=$(prop MainPID "$agent")
  note "$agent started by hand (MainPID $agent_pid)"
else
  note "$agent does not start here ($(prop ActiveState "$agent")): its restart on upgrade is not checked"
  cx systemctl stop "$agent" 2>/dev/null; cx systemctl reset-failed "$agent" 2>/dev/null
fi

# ---------------------------------------------------------------------------------------------
section "upgrade to B ($version_b) while capturing"
ring >"$work/ring-before"
part_before=$(parts)
pid_before=$(prop MainPID "$instance")
inv_before=$(prop InvocationID "$instance")
nr_before=$(prop NRestarts "$instance")
lines=$(journal_lines)
r0=$(reloads)
if dpkg_in dpkg -i /debs/b.deb; then pass "dpkg -i B"; else fail "dpkg -i B failed:"; tail -20 "$work/dpkg.log" | sed 's/^/      /'; fi
st=$(cx dpkg-query -W -f='${Status} ${Version}' packet-capture 2>/dev/null)
if [ "$st" = "install ok installed $version_b" ]; then pass "dpkg-query: $st"; else fail "dpkg-query: '$st'"; fi
r1=$(reloads)
if [ "$r1" -gt "$r0" ]; then pass "the postinst reloaded systemd"; else fail "systemd was not reloaded on upgrade"; fi
for _ in $(seq 1 50); do [ "$(prop ActiveState "$instance")" = active ] && break; sleep 0.2; done
pid_after=$(prop MainPID "$instance")
inv_after=$(prop InvocationID "$instance")
nr_after=$(prop NRestarts "$instance")
log=$(journal_since "$lines")
starts=$(grep -c "^Started $instance" <<<"$log")
stops=$(grep -c "^Stopping $instance" <<<"$log")
note "MainPID $pid_before -> $pid_after, InvocationID ${inv_before:0:8}… -> ${inv_after:0:8}…, NRestarts $nr_before -> $nr_after, journal: $starts start(s), $stops stop(s)"
if [ "$(prop ActiveState "$instance")" = active ] && [ "$pid_after" != "$pid_before" ] && [ "$pid_after" != 0 ] &&
   [ "$inv_after" != "$inv_before" ] && [ "$starts" -eq 1 ] && [ "$stops" -eq 1 ] && [ "$nr_after" = "$nr_before" ]; then
  pass "the running capture was restarted exactly once (new MainPID and InvocationID, one stop and one start, no failure restart)"
else
  fail "restart on upgrade: active '$(prop ActiveState "$instance")', $stops stop(s), $starts start(s), MainPID $pid_before -> $pid_after, NRestarts $nr_before -> $nr_after"
  grep -v '^$' <<<"$log" | tail -12 | sed 's/^/      /'
fi
exe=$(cx readlink "/proc/$pid_after/exe" 2>/dev/null)
if [ "$exe" = /usr/sbin/packet-capture ]; then pass "it runs the new binary ($exe)"; else fail "MainPID's executable is '$exe'"; fi
if [ -n "$agent_pid" ]; then
  agent_starts=$(cx journalctl -q -u "$agent" --no-pager -o cat 2>/dev/null | grep -c "^Started $agent")
  if [ "$(prop ActiveState "$agent")" = active ] && [ "$(prop MainPID "$agent")" != "$agent_pid" ] && [ "$agent_starts" -eq 2 ]; then
    pass "the running $agent was restarted once (MainPID $agent_pid -> $(prop MainPID "$agent"))"
  else
    fail "$agent after the upgrade: $(prop ActiveState "$agent"), MainPID $agent_pid -> $(prop MainPID "$agent"), $agent_starts starts in all"
    cx journalctl -q -u "$agent" --no-pager -o cat 2>/dev/null | tail -8 | sed 's/^/      /'
  fi
  if [ "$(prop UnitFileState "$agent")" = disabled ]; then pass "$agent still disabled"; else fail "$agent is $(prop UnitFileState "$agent")"; fi
elif [ "$(prop ActiveState "$agent")" = inactive ] && [ "$(prop UnitFileState "$agent")" = disabled ]; then
  pass "$agent still disabled and inactive"
else
  fail "$agent is $(prop UnitFileState "$agent"), $(prop ActiveState "$agent") after the upgrade"
fi
# The ring: every file survives, the live file of A was finished, B numbers on after it.
ring >"$work/ring-upgraded"
lost=$(comm -23 "$work/ring-before" "$work/ring-upgraded")
if [ -z "$lost" ]; then pass "no file of the ring lost ($(wc -l <"$work/ring-before") before the upgrade)"; else fail "lost: $lost"; fi
if [ -n "$part_before" ] && grep -qx "${part_before%.part}" "$work/ring-upgraded"; then
  pass "A's live file $part_before was finished at the restart"
else
  fail "A's live file '$part_before' is not a finished file after the upgrade"
fi
max_before=$( (cat "$work/ring-before"; echo "$part_before") | seq_of | sort -n | tail -1)
send 4000 1200
for _ in $(seq 1 50); do [ "$(finished)" -ge $(($(wc -l <"$work/ring-upgraded") + 3)) ] && break; sleep 0.2; done
settle
ring >"$work/ring-after"
new_seqs=$(comm -13 "$work/ring-upgraded" "$work/ring-after" | seq_of | sort -n)
min_new=$(head -1 <<<"$new_seqs")
if [ -n "$min_new" ] && [ "$min_new" -gt "$max_before" ]; then
  pass "B's files number on after A's (A's highest $max_before, B's first $min_new, $(wc -l <<<"$new_seqs") new files)"
else
  fail "numbering after the upgrade: A's highest $max_before, new files: $(tr '\n' ' ' <<<"$new_seqs")"
fi
all_seqs=$(seq_of <"$work/ring-after" | sort -n)
first=$(head -1 <<<"$all_seqs"); last=$(tail -1 <<<"$all_seqs"); count=$(wc -l <<<"$all_seqs")
if [ "$count" -eq $((last - first + 1)) ]; then pass "sequence numbers $first..$last without a gap"; else fail "$count files for sequence numbers $first..$last"; fi
if [ "$(sha256sum <"$root/etc/packet-capture/packet-capture.conf")" = "$conf_sum" ]; then
  pass "the administrator's packet-capture.conf survived the upgrade"
else
  fail "packet-capture.conf changed on upgrade"
fi
if [ "$(prop UnitFileState "$instance")" = enabled ] && [ -L "$root$wants_link" ]; then
  pass "$instance still enabled"
else
  fail "$instance is $(prop UnitFileState "$instance") after the upgrade"
fi
leftovers=$(find "$root/etc/packet-capture" -name '*.dpkg-*' 2>/dev/null)
if [ -z "$leftovers" ]; then pass "no .dpkg-new/.dpkg-dist/.dpkg-old files"; else fail "dpkg left: $leftovers"; fi

# ---------------------------------------------------------------------------------------------
section "remove while capturing"
if dpkg_in dpkg --remove packet-capture; then pass "dpkg --remove"; else fail "dpkg --remove failed:"; tail -20 "$work/dpkg.log" | sed 's/^/      /'; fi
if [ "$(prop ActiveState "$instance")" = inactive ] && [ "$(prop ActiveState "$agent")" = inactive ] && [ "$(running_binaries)" -eq 0 ]; then
  pass "the capture and the agent were stopped (inactive, no packet-capture process)"
else
  fail "after remove: $instance is $(prop ActiveState "$instance"), $agent $(prop ActiveState "$agent"), $(running_binaries) packet-capture processes"
fi
if [ -z "$(parts)" ]; then pass "its last file was finished at stop (no .part)"; else fail ".part left: $(parts)"; fi
gone=""
for f in /usr/sbin/packet-capture /lib/systemd/system/packet-capture@.service /lib/systemd/system/packet-capture-agent.service; do
  [ -e "$root$f" ] && gone="$gone $f"
done
if [ -z "$gone" ]; then pass "binary and units removed"; else fail "still there:$gone"; fi
if [ -f "$root/etc/packet-capture/packet-capture.conf" ] && [ "$(finished)" -gt 0 ]; then
  pass "conffiles and the ring ($(finished) files) kept by remove"
else
  fail "remove deleted the conffiles or the ring"
fi

section "purge"
# dpkg deletes the conffiles and the directories the package made, not files an administrator
# added: the test's own trusted-keys.d goes first.
cx rm -rf /etc/packet-capture/trusted-keys.d
if dpkg_in dpkg --purge packet-capture; then pass "dpkg --purge"; else fail "dpkg --purge failed:"; tail -20 "$work/dpkg.log" | sed 's/^/      /'; fi
left=""
for f in /etc/packet-capture /var/lib/packet-capture /var/lib/private/packet-capture; do
  [ -e "$root$f" ] && left="$left $f"
done
if [ -z "$left" ]; then pass "/etc/packet-capture and the rings in /var/lib are gone"; else fail "left after purge:$left"; fi
if [ ! -e "$root$wants_link" ] && [ ! -L "$root$wants_link" ]; then pass "the enablement link of $instance is gone"; else fail "$wants_link left after purge"; fi
st=$(cx dpkg-query -W -f='${Status}' packet-capture 2>/dev/null)
if [ -z "$st" ] || [ "$st" = "unknown ok not-installed" ]; then pass "dpkg no longer knows the package"; else fail "dpkg-query: '$st'"; fi
# Without the test's own copy of the unit, systemd has no packet-capture unit left.
cx rm -rf /etc/systemd/system/packet-capture@.service "/etc/systemd/system/$instance.d"
cx systemctl daemon-reload
known=$(cx systemctl list-unit-files --no-legend 'packet-capture*' 2>/dev/null)
if [ -z "$known" ]; then pass "systemd knows no packet-capture unit"; else fail "systemd still lists: $known"; fi

# ---------------------------------------------------------------------------------------------
echo "runtime $SECONDS s"
finish
