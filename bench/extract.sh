#!/usr/bin/env bash
# bench/extract.sh - retroactive extraction from a ring, side by side: `packet-capture extract`
# (with and without its flow index), `tcpdump -r` per file + mergecap (+ editcap -A/-B for a
# window), `cat` of the ring as the floor, and optionally stenographer's stenoread on the same
# traffic replayed onto a veth. Three queries: a whole-ring BPF scan, a one-minute window in
# the middle, and a needle host (0.1 % of the packets) over the whole ring.
#
# usage: bench/extract.sh [options]
#   -S, --size MB          ring size in MB (10^6 bytes)                            (default 4000)
#   -D, --duration S       seconds of traffic the ring spans                       (default 3600)
#       --needle-ppm N     packets of the needle host per million                  (default 1000)
#       --scan-filter BPF  filter of the whole-ring scan              (default 'tcp or (vlan and tcp)')
#       --steno-scan Q     the same scan in stenographer's query language, which sees inside
#                          802.1Q tags                                             (default tcp)
#       --window-filter BPF  filter inside the one-minute window                   (default none)
#   -r, --runs N           hyperfine runs per command, after 1 warm-up             (default 3)
#       --cold             also time every query with a cold page cache (drop_caches before each run)
#       --null             timed runs write their final output to /dev/null, not to a file
#       --stenographer     also replay the traffic onto a veth captured by stenotype and by
#                          `packet-capture run`, and query both (needs root, stenographer)
#       --replay-seconds S replay duration in stenographer mode                    (default 180)
#   -b, --binary PATH      our binary                           (default <repo>/build/packet-capture)
#   -d, --dir DIR          work dir: generated ring, outputs, results (default ${TMPDIR:-/tmp}/pc-bench/extract)
#   -k, --keep             keep the query outputs (the generated ring is always kept for reuse)
#   -h, --help
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SIZE_MB=4000; DURATION=3600; NEEDLE_PPM=1000; SCAN_FILTER="tcp or (vlan and tcp)"; STENO_SCAN=tcp
WINDOW_FILTER=""; RUNS=3
COLD=0; TO_NULL=0; STENO=0; REPLAY_S=180; OURBIN="$REPO/build/packet-capture"
DIR=${TMPDIR:-/tmp}/pc-bench/extract; KEEP=0
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case $1 in
    -S|--size) SIZE_MB=$2; shift;;
    -D|--duration) DURATION=$2; shift;;
    --needle-ppm) NEEDLE_PPM=$2; shift;;
    --scan-filter) SCAN_FILTER=$2; shift;;
    --steno-scan) STENO_SCAN=$2; shift;;
    --window-filter) WINDOW_FILTER=$2; shift;;
    -r|--runs) RUNS=$2; shift;;
    --cold) COLD=1;;
    --null) TO_NULL=1;;
    --stenographer) STENO=1;;
    --replay-seconds) REPLAY_S=$2; shift;;
    -b|--binary) OURBIN=$2; shift;;
    -d|--dir) DIR=$2; shift;;
    -k|--keep) KEEP=1;;
    -h|--help) usage 0;;
    *) echo "unknown option: $1" >&2; usage 2;;
  esac
  shift
done
log() { echo "# $*" >&2; }
die() { echo "extract.sh: $*" >&2; exit 1; }
for c in hyperfine tcpdump mergecap editcap gcc python3; do
  command -v "$c" >/dev/null || die "missing $c (run bench/install-deps.sh)"
done
if [ $STENO = 1 ]; then
  [ "$(id -u)" = 0 ] || die "--stenographer needs root (network namespaces)"
  for c in tcpreplay ip; do command -v "$c" >/dev/null || die "missing $c (run bench/install-deps.sh)"; done
fi
[ $COLD = 1 ] && [ ! -w /proc/sys/vm/drop_caches ] && die "--cold needs root (writes /proc/sys/vm/drop_caches)"
mkdir -p "$DIR" || exit 1
DIR=$(cd "$DIR" && pwd)
OUT="$DIR/out-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT" || exit 1
BIN=$(mktemp -d "${TMPDIR:-/tmp}/pc-bench-bin.XXXXXX")

NS_TX=pcxbench-tx-$$; NS_RX=pcxbench-rx-$$; IF_TX=veth-snd; IF_RX=veth-cap
STENO_TMP=""; STENO_PID=""; LIVE_PID=""
descendants() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do descendants "$c"; echo "$c"; done; }
stop_tree() { # pid: SIGTERM to it and everything it started (stenographer leaves stenotype running)
  [ -n "$1" ] || return 0
  local pids; pids="$(descendants "$1") $1"
  kill -TERM $pids 2>/dev/null; sleep 1; kill -KILL $pids 2>/dev/null; wait "$1" 2>/dev/null
}
cleanup() {
  stop_tree "$LIVE_PID"; stop_tree "$STENO_PID"
  ip netns del "$NS_TX" 2>/dev/null; ip netns del "$NS_RX" 2>/dev/null
  [ -n "$STENO_TMP" ] && rm -rf "$STENO_TMP"
  rm -rf "$BIN"
  [ $KEEP = 1 ] || find "$OUT" -name '*.pcap' -delete 2>/dev/null
}
trap cleanup EXIT
trap 'echo "extract.sh: interrupted" >&2; exit 130' INT TERM

gcc -O2 -Wall -o "$BIN/ringtraffic" "$HERE/src/ringtraffic.c" &&
gcc -O2 -Wall -o "$BIN/seqcount" "$HERE/src/seqcount.c" -lpcap || die "helper build failed"

# What users do today: tcpdump -r on each file (with the filter), mergecap, and editcap -A/-B
# to cut a window. Output nanosecond pcap, as the ring's files are.
cat > "$BIN/peer.sh" <<'EOS'
#!/usr/bin/env bash
# peer.sh OUT FROM TO FILTER FILE...   (FROM/TO "" = no cut; FILTER "" = every packet)
set -e -o pipefail
out=$1 from=$2 to=$3 filter=$4; shift 4
parts=$(mktemp -d "${TMPDIR:-/tmp}/pc-bench-peer.XXXXXX"); trap 'rm -rf "$parts"' EXIT
i=0
for f in "$@"; do
  tcpdump -r "$f" --time-stamp-precision nano -w "$parts/$i.pcap" ${filter:+"$filter"} 2>/dev/null
  i=$((i + 1))
done
if [ -z "$from" ]; then mergecap -F nsecpcap -w "$out" "$parts"/*.pcap
else mergecap -F nsecpcap -w "$parts/merged" "$parts"/*.pcap && editcap -F nsecpcap -A "$from" -B "$to" "$parts/merged" "$out"; fi
EOS
chmod +x "$BIN/peer.sh"

HAVE_EXTRACT=0; HAVE_RUN=0
if [ -x "$OURBIN" ]; then
  HAVE_RUN=1
  # an unknown subcommand with --help prints the main help and exits 0: look for the option itself
  "$OURBIN" extract --help 2>&1 | grep -q -- '--from' && HAVE_EXTRACT=1
  [ $HAVE_EXTRACT = 1 ] || log "WARNING: $OURBIN has no 'extract': ours is skipped"
else
  log "WARNING: $OURBIN not found: ours is skipped"
fi
count() { [ -s "$1" ] && "$BIN/seqcount" 0 "$1" 2>/dev/null | sed -n 's/.* frames=\([0-9]*\).*/\1/p' || echo 0; }
# Capture files: every *.pcap / *.pcapng in the ring directory but dotfiles (.part files end
# otherwise), whatever follows the sequence number in the name.
ring_info() { # ring_dir -> "file first_ns last_ns bytes" per capture file, from the ring's index
  python3 - "$1" <<'PY'
import json, os, re, subprocess, sys
ring = sys.argv[1]
names = sorted(n for n in os.listdir(ring) if re.fullmatch(r"[^.].*\.pcap(ng)?", n))
idx = {}
for n in os.listdir(ring):
    if n.startswith(".") and n.endswith(".index"):
        for line in open(os.path.join(ring, n)):
            try: r = json.loads(line); idx[r["file"]] = (r["first_ns"], r["last_ns"])
            except (ValueError, KeyError): pass
for n in names:
    path = os.path.join(ring, n)
    if n not in idx:  # no index entry (e.g. a ring split by tcpdump): ask capinfos
        t = subprocess.run(["capinfos", "-T", "-r", "-a", "-e", "-S", path], capture_output=True, text=True).stdout.split("\t")
        idx[n] = (int(float(t[1]) * 1e9), int(float(t[2]) * 1e9))
    print(path, idx[n][0], idx[n][1], os.path.getsize(path))
PY
}
flow_index_bytes() { # ring_dir -> bytes of everything but the capture files and the ring's own state files
  find "$1" -type f -printf '%P %s\n' | awk '$1 !~ /^[^.\/][^\/]*\.pcap(ng)?$/ &&
    $1 !~ /^\.[^\/]*\.(index|hooks|status|lock)$/ { s += $2; n++ } END { print s + 0, n + 0 }'
}

# ---- the ring: generated traffic, turned into a ring by `packet-capture run --read` ------------
GEN="$DIR/ring-${SIZE_MB}MB-${DURATION}s-${NEEDLE_PPM}ppm"
SRC="$GEN.pcap"; RING="$GEN.ring"
if [ ! -f "$GEN.done" ]; then
  rm -rf "$RING" "$SRC" "$GEN.done"
  log "generating $SRC"
  "$BIN/ringtraffic" "$SRC" "$SIZE_MB" "$DURATION" "$NEEDLE_PPM" > "$GEN.gen" || die "ringtraffic failed"
  mkdir -p "$RING"
  if [ $HAVE_RUN = 1 ]; then
    "$OURBIN" run --read "$SRC" --interface bench --output-dir "$RING" --file-size 100 \
      --file-limit $((SIZE_MB / 100 + 10)) --hooks-dir "$BIN/no-hooks" > "$GEN.run.out" 2>&1 ||
      die "packet-capture run --read failed: $(tail -2 "$GEN.run.out")"
  else  # no binary: split with tcpdump, so the peers can still be measured
    tcpdump -r "$SRC" --time-stamp-precision nano -w "$RING/pcap-bench" -C 100 -Z root 2>/dev/null || die "tcpdump -C failed"
    i=0; for f in $(ls "$RING" | sort -V); do mv "$RING/$f" "$RING/$(printf 'pcap-bench-%06d.pcap' $i)"; i=$((i + 1)); done
  fi
  touch "$GEN.done"
fi
log "ring $RING: $(cat "$GEN.gen")"
NEEDLE=$(sed -n 's/.*needle=\([0-9.]*\).*/\1/p' "$GEN.gen")

build_flow_index() { # ring_dir: builds missing flow index files when our binary can
  [ $HAVE_RUN = 1 ] && "$OURBIN" index --help 2>&1 | grep -q -- '--rebuild' || return 0
  local t0 t1; t0=$(date +%s.%N)
  "$OURBIN" index --rebuild -o "$1" > "$OUT/index-rebuild.log" 2>&1 || log "WARNING: index --rebuild failed: $(tail -1 "$OUT/index-rebuild.log")"
  t1=$(date +%s.%N)
  log "index --rebuild on $1: $(python3 -c "print(f'{$t1 - $t0:.2f}')") s"
}
build_flow_index "$RING"

# ---- one ring, three queries, every tool -----------------------------------------------------
RESULTS="$OUT/results.tsv"
printf 'set\tquery\ttool\tpackets\texit\tnote\n' > "$RESULTS"
: > "$OUT/sets.tsv"
# measure SET RING_DIR [STENO_QUERY_PREFIX]: sanity pass (counts) then hyperfine per query.
measure() {
  local set=$1 ring=$2 steno=${3:-}
  ring_info "$ring" > "$OUT/$set.files" || die "cannot list $ring"
  [ -s "$OUT/$set.files" ] || { log "WARNING: $ring holds no capture files: $set not measured"; return; }
  local first last from to mid wfrom wto
  first=$(awk 'NR == 1 { print $2 }' "$OUT/$set.files"); last=$(awk '{ l = $3 } END { print l }' "$OUT/$set.files")
  from=$((first / 1000000000)); to=$((last / 1000000000 + 1))
  mid=$(( (from + to) / 2 )); wfrom=$((mid - 30)); wto=$((mid + 30))
  if [ $((to - from)) -lt 90 ]; then wfrom=$((from + (to - from) / 3)); wto=$((to - (to - from) / 3)); log "WARNING: $set spans only $((to - from)) s: window is its middle third"; fi
  awk '{ print $1 }' "$OUT/$set.files" > "$OUT/$set.all"
  awk -v a=$((wfrom * 1000000000)) -v b=$((wto * 1000000000)) '$3 >= a && $2 < b { print $1 }' "$OUT/$set.files" > "$OUT/$set.window"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$(awk '{ s += $4 } END { print s }' "$OUT/$set.files")" "$(wc -l < "$OUT/$set.all")" \
    "$(wc -l < "$OUT/$set.window")" "$wfrom" "$wto" >> "$OUT/sets.tsv"
  log "$set: $(wc -l < "$OUT/$set.all") files, window $(date -u -d @$wfrom +%FT%TZ) .. $(date -u -d @$wto +%FT%TZ) in $(wc -l < "$OUT/$set.window") files"
  local q
  for q in scan window needle; do
    local filter qfrom qto files cut_from="" cut_to="" steno_q=""
    case $q in
      scan) filter=$SCAN_FILTER; qfrom=$from; qto=$to; files=$OUT/$set.all; steno_q=$STENO_SCAN;;
      window) filter=$WINDOW_FILTER; qfrom=$wfrom; qto=$wto; files=$OUT/$set.window; cut_from=$wfrom; cut_to=$wto
              steno_q="after $(date -u -d @$wfrom +%FT%TZ) and before $(date -u -d @$wto +%FT%TZ)${WINDOW_FILTER:+ and $WINDOW_FILTER}";;
      needle) filter="host $NEEDLE"; qfrom=$from; qto=$to; files=$OUT/$set.all; steno_q="host $NEEDLE";;
    esac
    local names=() cmds=() tool
    for tool in cat tcpdump+mergecap ours ours-noindex stenoread; do
      local o="$OUT/$set-$q-$tool.pcap" cmd="" note=""
      case $tool in
        cat) cmd="cat $(tr '\n' ' ' < "$files") > /dev/null";;
        tcpdump+mergecap) cmd="'$BIN/peer.sh' '$o' '$cut_from' '$cut_to' '$filter' $(tr '\n' ' ' < "$files")";;
        ours|ours-noindex)
          [ $HAVE_EXTRACT = 1 ] || { note="skipped (no extract)"; printf '%s\t%s\t%s\t-\t-\t%s\n' "$set" "$q" "$tool" "$note" >> "$RESULTS"; continue; }
          cmd="'$OURBIN' extract -o '$ring' --from $qfrom --to $qto ${filter:+--filter '$filter'} $([ $tool = ours-noindex ] && echo --no-flow-index) -w '$o'";;
        stenoread) [ -n "$steno" ] || continue
          cmd="$steno stenoread '$steno_q' -Z root -w '$o'";;
      esac
      # sanity pass: run once, count what came out; a failure is reported, not timed
      local rc pk="-"
      if [ $tool = ours ] || [ $tool = ours-noindex ]; then bash -c "$cmd --json" > /dev/null 2> "$OUT/$set-$q-$tool.report"; rc=$?
      else bash -c "$cmd" > /dev/null 2> "$OUT/$set-$q-$tool.err"; rc=$?; fi
      [ $tool = cat ] || pk=$(count "$o")
      [ $rc = 0 ] || note="exit=$rc"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$q" "$tool" "$pk" "$rc" "$note" >> "$RESULTS"
      [ $rc = 0 ] || { log "WARNING: $set/$q/$tool failed (exit $rc): not timed"; continue; }
      [ $TO_NULL = 1 ] && [ $tool != cat ] && cmd=${cmd//"'$o'"/\/dev\/null}
      names+=(-n "$tool"); cmds+=("$cmd")
    done
    [ $KEEP = 1 ] || find "$OUT" -name "$set-$q-*.pcap" -delete
    [ ${#cmds[@]} -gt 0 ] || continue
    local args=() i
    for ((i = 0; i < ${#cmds[@]}; i++)); do args+=("${names[2 * i]}" "${names[2 * i + 1]}" "${cmds[i]}"); done
    log "timing $set/$q (warm page cache)"
    # sync before every run: no tool is timed while the kernel writes out what the one before
    # it wrote (tcpdump+mergecap's parts are gigabytes), which would take a core from it.
    hyperfine --style basic --warmup 1 --runs "$RUNS" --prepare sync --export-json "$OUT/hf-$set-$q-warm.json" "${args[@]}" > "$OUT/hf-$set-$q-warm.txt" 2>&1 ||
      log "WARNING: hyperfine failed for $set/$q: $(tail -3 "$OUT/hf-$set-$q-warm.txt")"
    if [ $COLD = 1 ]; then
      log "timing $set/$q (cold page cache)"
      hyperfine --style basic --warmup 0 --runs "$RUNS" --prepare 'sync; echo 3 > /proc/sys/vm/drop_caches' \
        --export-json "$OUT/hf-$set-$q-cold.json" "${args[@]}" > "$OUT/hf-$set-$q-cold.txt" 2>&1 ||
        log "WARNING: hyperfine (cold) failed for $set/$q"
    fi
    [ $KEEP = 1 ] || find "$OUT" -name "$set-$q-*.pcap" -delete
  done
}

RING_BYTES=$(find "$RING" -maxdepth 1 -type f -printf '%P %s\n' |
  awk '$1 ~ /^[^.\/][^\/]*\.pcap(ng)?$/ { s += $2 } END { print s + 0 }')
AVAIL=$(awk '/MemAvailable/ { print $2 * 1024 }' /proc/meminfo)
[ "$RING_BYTES" -gt $((AVAIL * 8 / 10)) ] && log "WARNING: the ring ($RING_BYTES B) does not fit in the page cache ($AVAIL B available): warm figures include disk reads"
cat "$RING"/*.pcap* > /dev/null 2>&1  # warm the page cache
measure ring "$RING"

# ---- stenographer: the same traffic replayed onto a veth, captured by stenotype and by us ------
STENO_STATUS="not run (use --stenographer)"
socket_count() { ip netns exec "$NS_RX" awk -v ifx="$RX_IFINDEX" 'NR > 1 && $5 == ifx { n++ } END { print n + 0 }' /proc/net/packet; }
wait_sockets() { # n timeout_s: until n packet sockets are bound to the capture interface
  local i; for ((i = 0; i < $2 * 10; i++)); do [ "$(socket_count)" -ge "$1" ] && return 0; sleep 0.1; done; return 1
}
steno_up() {
  command -v stenoread > /dev/null && [ -x /usr/sbin/stenographer ] && [ -x /usr/sbin/stenotype ] ||
    { STENO_STATUS="not installed (bench/install-deps.sh installs stenographer, stenographer-client)"; return 1; }
  ip netns add "$NS_TX" && ip netns add "$NS_RX" &&
  ip link add "$IF_TX" netns "$NS_TX" type veth peer name "$IF_RX" netns "$NS_RX" || { STENO_STATUS="veth setup failed"; return 1; }
  local ns; for ns in "$NS_TX" "$NS_RX"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
  # MTU 9000: the generated 802.1Q frames are 1518 B
  ip -n "$NS_TX" link set "$IF_TX" mtu 9000 arp off up && ip -n "$NS_RX" link set "$IF_RX" mtu 9000 arp off up &&
    ip -n "$NS_RX" link set lo up || { STENO_STATUS="veth setup failed"; return 1; }
  RX_IFINDEX=$(ip netns exec "$NS_RX" cat "/sys/class/net/$IF_RX/ifindex")
  STENO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pc-bench-steno.XXXXXX"); chmod 755 "$STENO_TMP"
  local t=$STENO_TMP/thread0
  mkdir -p "$t/packets" "$t/index" && chown -R stenographer:stenographer "$t" && chmod 750 "$t" "$t"/* ||
    { STENO_STATUS="cannot prepare its directories (user stenographer?)"; return 1; }
  cat > "$STENO_TMP/config" <<EOC
{ "Threads": [ { "PacketsDirectory": "$t/packets", "IndexDirectory": "$t/index",
                 "MaxDirectoryFiles": 30000, "DiskFreePercentage": 5 } ],
  "StenotypePath": "/usr/sbin/stenotype", "Interface": "$IF_RX", "Port": 1234, "Host": "127.0.0.1",
  "Flags": ["--no_watchdogs", "--blocks=64", "--aiops=32"], "CertPath": "$STENO_TMP/certs" }
EOC
  (cd "$STENO_TMP" && STENOGRAPHER_CONFIG=$STENO_TMP/config /usr/sbin/stenokeys stenographer stenographer) > "$OUT/stenokeys.log" 2>&1 ||
    { STENO_STATUS="stenokeys failed: $(tail -1 "$OUT/stenokeys.log")"; return 1; }
  ip netns exec "$NS_RX" runuser -u stenographer -- /usr/sbin/stenographer -config="$STENO_TMP/config" -syslog=false \
    > "$OUT/stenographer.log" 2>&1 &
  STENO_PID=$!
  wait_sockets 1 30 || { STENO_STATUS="stenotype did not open its capture socket: $(tail -2 "$OUT/stenographer.log" | tr '\n' ' ')"; return 1; }
  return 0
}
steno_count() { # query -> packets stenoread returns now
  STENOGRAPHER_CONFIG=$STENO_TMP/config ip netns exec "$NS_RX" stenoread "$1" -Z root -w "$OUT/steno-probe.pcap" > /dev/null 2>&1
  count "$OUT/steno-probe.pcap"
}
if [ $STENO = 1 ]; then
  if steno_up; then
    LIVE="$OUT/live.ring"; mkdir -p "$LIVE"
    if [ $HAVE_RUN = 1 ]; then
      ip netns exec "$NS_RX" "$OURBIN" run --interface "$IF_RX" --output-dir "$LIVE" --file-size 100 \
        --file-limit $((SIZE_MB / 100 + 10)) --buffer-size 64 --hooks-dir "$BIN/no-hooks" > "$OUT/live.out" 2>&1 &
      LIVE_PID=$!
      wait_sockets 2 30 || log "WARNING: packet-capture run did not open its socket: $(tail -2 "$OUT/live.out")"
    fi
    sleep 2
    MBPS=$(python3 -c "print(f'{$(stat -c %s "$SRC") * 8 / $REPLAY_S / 1e6:.1f}')")
    log "replaying $SRC at $MBPS Mbit/s (about $REPLAY_S s) into stenotype and packet-capture"
    ip netns exec "$NS_TX" tcpreplay -q -i "$IF_TX" --mbps="$MBPS" "$SRC" > "$OUT/tcpreplay.log" 2>&1 ||
      log "WARNING: tcpreplay: $(tail -2 "$OUT/tcpreplay.log")"
    REPLAY_END=$(date +%s)
    sleep 2
    if [ -n "$LIVE_PID" ]; then kill -INT "$LIVE_PID"; wait "$LIVE_PID"; log "live ring: $(tail -1 "$OUT/live.out")"; LIVE_PID=""; fi
    build_flow_index "$LIVE"
    EXPECT=$(tcpdump -r "$SRC" -w - "host $NEEDLE" 2>/dev/null | tcpdump -r - 2>/dev/null | wc -l)
    log "waiting for stenographer to publish its files (about 70 s after the traffic): needle packets expected $EXPECT"
    got=0; prev=-1
    while [ $(( $(date +%s) - REPLAY_END )) -lt 300 ]; do
      sleep 10
      got=$(steno_count "host $NEEDLE")
      [ $(( $(date +%s) - REPLAY_END )) -ge 75 ] && { [ "$got" -ge "$EXPECT" ] || [ "$got" = "$prev" ] && [ "$got" -gt 0 ]; } && break
      prev=$got
    done
    log "stenoread sees $got of $EXPECT needle packets"
    STENO_STATUS="up: stenotype on $IF_RX, needle $got/$EXPECT packets, index $(du -sb "$STENO_TMP/thread0/index" | cut -f1) B for $(du -sb "$STENO_TMP/thread0/packets" | cut -f1) B of packets"
    echo "$(du -sb "$STENO_TMP/thread0/index" | cut -f1) $(du -sb "$STENO_TMP/thread0/packets" | cut -f1)" > "$OUT/steno.size"
    measure live "$LIVE" "STENOGRAPHER_CONFIG='$STENO_TMP/config' ip netns exec '$NS_RX'"
  fi
  log "stenographer: $STENO_STATUS"
fi

# ---- table and targets ------------------------------------------------------------------------
read -r FI_BYTES FI_FILES <<< "$(flow_index_bytes "$RING")"
python3 - "$OUT" "$RING_BYTES" "$FI_BYTES" "$FI_FILES" "$STENO_STATUS" "$HAVE_EXTRACT" "$COLD" "$SCAN_FILTER" "$NEEDLE" <<'PY' | tee "$OUT/summary.txt"
import csv, json, os, sys
out, ring_bytes, fi_bytes, fi_files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
steno_status, have_extract, cold, scan_filter, needle = sys.argv[5], sys.argv[6] == "1", sys.argv[7] == "1", sys.argv[8], sys.argv[9]
rows = list(csv.DictReader(open(os.path.join(out, "results.tsv")), delimiter="\t"))
sets = {}
for line in open(os.path.join(out, "sets.tsv")):
    s, b, nf, nw, wf, wt = line.split("\t")
    sets[s] = dict(bytes=int(b), files=int(nf), wfiles=int(nw))
def file_granular(r):  # stenoread answers a time window with every packet of the files overlapping it
    return r["tool"] == "stenoread" and r["query"] == "window"
def timing(s, q, mode):
    p = os.path.join(out, f"hf-{s}-{q}-{mode}.json")
    return {r["command"]: r for r in json.load(open(p))["results"]} if os.path.exists(p) else {}
print(f"\nextraction benchmark: ring {ring_bytes / 1e6:.0f} MB; queries: scan '{scan_filter}', one-minute window, needle 'host {needle}'")
print(f"stenographer: {steno_status}")
for s, info in sets.items():
    print(f"\n[{s}] {info['files']} files, {info['bytes'] / 1e6:.0f} MB; the window covers {info['wfiles']} files "
          + ("(generated traffic)" if s == "ring" else "(the same traffic replayed live)"))
    for mode in ["warm"] + (["cold"] if cold else []):
        print(f"{'query':<7} {'tool':<17} {'cache':<5} {'mean_s':>8} {'stddev':>7} {'user_s':>7} {'sys_s':>7} {'packets':>10} {'vs_tcpdump':>10} {'x_cat':>6}  notes")
        for q in ("scan", "window", "needle"):
            t = timing(s, q, mode)
            ref = next((r["packets"] for r in rows if r["set"] == s and r["query"] == q and r["tool"] == "tcpdump+mergecap"), "-")
            for r in (r for r in rows if r["set"] == s and r["query"] == q):
                h, note = t.get(r["tool"]), r["note"]
                if r["tool"] not in ("cat", "tcpdump+mergecap") and r["packets"] not in ("-", ref) and ref != "-":
                    note += f" MISMATCH: {r['packets']} packets, tcpdump+mergecap {ref}"
                    if file_granular(r): note += " (stenographer selects whole files by time)"
                def f(x): return f"{x:.3f}" if x is not None else "-"
                mean = h["mean"] if h else None
                peer = t.get("tcpdump+mergecap", {}).get("mean")
                catm = t.get("cat", {}).get("mean")
                vs = f"{peer / mean:.1f}x" if mean and peer and r["tool"] != "tcpdump+mergecap" else "-"
                xc = f"{mean / catm:.2f}" if mean and catm and r["tool"] != "cat" else "-"
                print(f"{q:<7} {r['tool']:<17} {mode:<5} {f(mean):>8} {f(h['stddev'] if h else None):>7} {f(h['user'] if h else None):>7} "
                      f"{f(h['system'] if h else None):>7} {r['packets']:>10} {vs:>10} {xc:>6}  {note}")
mism = [r for r in rows if r["tool"] not in ("cat", "tcpdump+mergecap") and r["packets"] != "-" and r["packets"] !=
        next((x["packets"] for x in rows if x["set"] == r["set"] and x["query"] == r["query"] and x["tool"] == "tcpdump+mergecap"), r["packets"])]
for r in (r for r in mism if file_granular(r)):
    print(f"\nnote: stenoread's window returned {r['packets']} packets: stenographer cuts a time window by whole files")
mism = [r for r in mism if not file_granular(r)]
if mism:
    print("\n!!! PACKET COUNT MISMATCH: " + "; ".join(f"{r['set']}/{r['query']}/{r['tool']}={r['packets']}" for r in mism) + " !!!")

def mean(s, q, tool):
    return timing(s, q, "warm").get(tool, {}).get("mean")
print("\ntargets (warm page cache):")
def target(ok, text):
    print(f"  {'SKIP' if ok is None else 'PASS' if ok else 'FAIL'}  {text}")
ours, peer = mean("ring", "needle", "ours"), mean("ring", "needle", "tcpdump+mergecap")
target(None if not (ours and peer) else peer / ours >= 20,
       f"(1) needle >= 20x faster than tcpdump+mergecap: " + (f"{peer:.3f} s / {ours:.3f} s = {peer / ours:.1f}x" if ours and peer else "ours not measured"))
ol, sl = mean("live", "needle", "ours"), mean("live", "needle", "stenoread")
target(None if not (ol and sl) else ol <= sl,
       f"(2) needle no slower than stenoread (replayed traffic): " + (f"ours {ol:.3f} s, stenoread {sl:.3f} s" if ol and sl else
       "stenoread not measured" if not sl else "ours not measured"))
osc, cat = mean("ring", "scan", "ours"), mean("ring", "scan", "cat")
target(None if not (osc and cat) else osc <= 1.5 * cat,
       f"(3) whole-ring scan within 1.5x of cat from the page cache: " + (f"ours {osc:.3f} s, cat {cat:.3f} s = {osc / cat:.2f}x" if osc and cat else "ours not measured"))
target(None if not fi_files else fi_bytes < 0.05 * ring_bytes,
       f"(4) flow index under 5 % of the ring: " + (f"{fi_bytes} B in {fi_files} files = {100 * fi_bytes / ring_bytes:.2f} %" if fi_files else "no flow index files in the ring"))
if os.path.exists(os.path.join(out, "steno.size")):
    i, p = map(int, open(os.path.join(out, "steno.size")).read().split())
    print(f"  info  stenographer's index: {i} B = {100 * i / max(p, 1):.2f} % of its packet files")
print("  info  the capture's CPU per packet with indexing on is measured by bench/run.sh")
PY
echo "results: $OUT (results.tsv, hyperfine JSON per set/query/cache, summary.txt)"
