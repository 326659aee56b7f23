#!/usr/bin/env bash
# bench/run.sh - live capture benchmark: packet-capture vs tcpdump vs dumpcap on one veth pair.
#
# usage: bench/run.sh [options]
#   -n, --count N        packets sent per run                          (default 1000000)
#   -r, --reps N         repetitions per tool and config; table = median (default 3)
#   -s, --sizes "A B"    frame sizes in bytes without FCS, 60..1514      (default "64 1500")
#   -R, --rates "A B"    send rates: packets/s, max (or 0) = top speed, or P% = P percent of
#                        the disk's measured O_DIRECT bandwidth at that size (default "max 100000")
#       --steady         the ring wraps at least twice: 1500 B, 1.5M packets,
#                        rates "100000 300000 70% max" (explicit -n/-s/-R after it win)
#   -t, --timeout S      hard limit per run in seconds, >= 20            (default 60)
#       --pin            sender on CPU0, capturer on CPU1                (default)
#       --no-pin         let the scheduler place both
#   -T, --tools "..."    subset of: ours ours-noindex ours-extracting tcpdump dumpcap
#                        (default "ours tcpdump dumpcap"); ours-noindex is ours with
#                        --flow-index no, ours-extracting is ours while extractions run
#       --index-cost     cost of the flow index: 3M packets of 64 B at top speed, tools
#                        "ours ours-noindex tcpdump" (explicit -n/-s/-R/-T after it win)
#       --extract-during also run ours-extracting: ours while a loop runs
#                        "packet-capture extract -o RING --last 30s 'udp'" on its ring
#       --extract-jobs N with --extract-during: N such loops at once (default 1), as N
#                        requests an agent answers from the ring at the same time
#   -b, --binary PATH    our daemon                          (default <repo>/build/packet-capture)
#   -o, --out DIR        results dir               (default ${TMPDIR:-/tmp}/pc-bench/live-DATE)
#   -k, --keep           keep the capture files of every run (needs a lot of disk)
#   -h, --help
# The disk's O_DIRECT write bandwidth (dd, 1 GiB, in the results directory) is measured first and
# printed beside the results, with each rate as a fraction of it.
# Needs root, iproute2, taskset, /usr/bin/time, gcc, libpcap-dev, tcpdump, dumpcap
# (bench/install-deps.sh installs them). See bench/README.md for the columns and targets.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
COUNT=1000000; REPS=3; SIZES="64 1500"; RATES="max 100000"; LIMIT=60; PIN=1
TOOLS="ours tcpdump dumpcap"; OURBIN="$REPO/build/packet-capture"; OUT=""; KEEP=0; EXTRACT_DURING=0; EXTRACT_JOBS=1
# ring and buffer settings under test (the targets are defined for these)
FILE_MB=100; FILE_LIMIT=10; BUF_MIB=64; RSS_SLACK_MIB=32

usage() { sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case $1 in
    -n|--count) COUNT=$2; shift;;
    -r|--reps) REPS=$2; shift;;
    -s|--sizes) SIZES=$2; shift;;
    -R|--rates) RATES=$2; shift;;
    --steady) COUNT=1500000; SIZES=1500; RATES="100000 300000 70% max";;
    --index-cost) COUNT=3000000; SIZES=64; RATES=max; TOOLS="ours ours-noindex tcpdump";;
    --extract-during) EXTRACT_DURING=1;;
    --extract-jobs) EXTRACT_JOBS=$2; EXTRACT_DURING=1; shift;;
    -t|--timeout) LIMIT=$2; shift;;
    --pin) PIN=1;;
    --no-pin) PIN=0;;
    -T|--tools) TOOLS=$2; shift;;
    -b|--binary) OURBIN=$2; shift;;
    -o|--out) OUT=$2; shift;;
    -k|--keep) KEEP=1;;
    -h|--help) usage 0;;
    *) echo "unknown option: $1" >&2; usage 2;;
  esac
  shift
done
if [ "$EXTRACT_DURING" = 1 ] && [[ " $TOOLS " != *" ours-extracting "* ]]; then
  TOOLS=$(sed 's/\bours\b/ours ours-extracting/' <<< "$TOOLS")   # side by side with ours
  [[ " $TOOLS " == *" ours-extracting "* ]] || TOOLS+=" ours-extracting"
fi
[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root (network namespaces, raw sockets)" >&2; exit 1; }
[ "$LIMIT" -ge 20 ] 2>/dev/null || LIMIT=20
for c in ip taskset gcc tcpdump dumpcap; do
  command -v "$c" >/dev/null || { echo "run.sh: missing $c (run bench/install-deps.sh)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "run.sh: missing /usr/bin/time (run bench/install-deps.sh)" >&2; exit 1; }

OUT=${OUT:-${TMPDIR:-/tmp}/pc-bench/live-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
RUNS="$OUT/runs.tsv"
log() { echo "# $*" >&2; }

# ---- the disk: sequential O_DIRECT write bandwidth where the rings are written, in bytes/s -----
disk_bandwidth() {
  local f="$OUT/.disk-bandwidth" out
  out=$(dd if=/dev/zero of="$f" bs=1M count=1024 oflag=direct conv=fsync 2>&1)
  rm -f "$f"
  awk '/ copied, / { for (i = 1; i <= NF; i++) if ($i == "s,") { printf "%.0f", $1 / $(i - 1); exit } }' <<< "$out"
}
DISK_BPS=$(disk_bandwidth)
[ -n "$DISK_BPS" ] && [ "$DISK_BPS" -gt 0 ] 2>/dev/null || { echo "run.sh: cannot measure the disk's bandwidth with dd" >&2; exit 1; }
# a rate of "P%" means P percent of the disk's bandwidth at this frame size (pcap record: +16 B)
rate_pps() { # rate size -> packets/s for the sender (0 = top speed)
  case $1 in
    max|0) echo 0;;
    *%) awk -v p="${1%\%}" -v bw="$DISK_BPS" -v sz="$2" 'BEGIN { printf "%.0f", p / 100 * bw / (sz + 16) }';;
    *) echo "$1";;
  esac
}

# ---- helpers built fresh into a temp dir ------------------------------------------------------
BIN=$(mktemp -d "${TMPDIR:-/tmp}/pc-bench-bin.XXXXXX")
gcc -O2 -Wall -o "$BIN/seqsend" "$HERE/src/seqsend.c" &&
gcc -O2 -Wall -o "$BIN/seqcount" "$HERE/src/seqcount.c" -lpcap || { echo "run.sh: helper build failed" >&2; rm -rf "$BIN"; exit 1; }

# ---- namespaces: sender side and capture side of one veth pair --------------------------------
NS_TX=pcbench-tx-$$; NS_RX=pcbench-rx-$$; IF_TX=veth-snd; IF_RX=veth-cap
TOOL_PID=""; TIME_PID=""; EXTRACT_PID=""  # EXTRACT_PID: the extraction loops' PIDs
cleanup() {
  if [ -n "$EXTRACT_PID" ]; then kill -TERM $EXTRACT_PID 2>/dev/null; fi
  if [ -n "$TOOL_PID" ]; then kill -KILL "$TOOL_PID" 2>/dev/null; fi
  if [ -n "$TIME_PID" ]; then wait "$TIME_PID" 2>/dev/null; fi
  ip netns del "$NS_TX" 2>/dev/null
  ip netns del "$NS_RX" 2>/dev/null
  rm -rf "$BIN"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

ip netns add "$NS_TX" && ip netns add "$NS_RX" || exit 1
ip link add "$IF_TX" netns "$NS_TX" type veth peer name "$IF_RX" netns "$NS_RX" || exit 1
for ns in "$NS_TX" "$NS_RX"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip netns exec "$NS_TX" sysctl -qw "net.ipv6.conf.$IF_TX.disable_ipv6=1"
ip netns exec "$NS_RX" sysctl -qw "net.ipv6.conf.$IF_RX.disable_ipv6=1"
# no IP addresses: the capture side sees only the generator's frames (addressed to another MAC)
ip -n "$NS_TX" link set "$IF_TX" address 02:00:00:00:00:01 arp off up || exit 1
ip -n "$NS_RX" link set "$IF_RX" address 02:00:00:00:00:0a arp off up || exit 1
RX_IFINDEX=$(ip netns exec "$NS_RX" cat "/sys/class/net/$IF_RX/ifindex")
sleep 0.5

if [ "$PIN" = 1 ]; then SND_CPU=(taskset -c 0); CAP_CPU=(taskset -c 1); PINDESC="sender CPU0, capturer CPU1"
else SND_CPU=(); CAP_CPU=(); PINDESC="not pinned"; fi

# ---- tools --------------------------------------------------------------------------------------
HAVE_OURS=1
if [[ " $TOOLS " == *" ours"* ]] && [ ! -x "$OURBIN" ]; then
  log "WARNING: $OURBIN not found or not executable: 'ours' and its variants are skipped"
  HAVE_OURS=0
fi
is_ours() { case $1 in ours|ours-noindex|ours-extracting) return 0;; *) return 1;; esac; }
tool_cmd() { # tool dir -> command words, one per line
  case $1 in
    ours|ours-extracting)
             printf '%s\n' "$OURBIN" run --interface "$IF_RX" --output-dir "$2" \
               --file-size "$FILE_MB" --file-limit "$FILE_LIMIT" --buffer-size "$BUF_MIB";;
    ours-noindex)
             printf '%s\n' "$OURBIN" run --interface "$IF_RX" --output-dir "$2" \
               --file-size "$FILE_MB" --file-limit "$FILE_LIMIT" --buffer-size "$BUF_MIB" --flow-index no;;
    # Every tool gets the same kernel buffer: tcpdump -B takes KiB, dumpcap -B MiB.
    tcpdump) printf '%s\n' tcpdump -i "$IF_RX" -w "$2/ring" -C "$FILE_MB" -W "$FILE_LIMIT" -Z root -B "$((BUF_MIB * 1024))";;
    dumpcap) printf '%s\n' dumpcap -i "$IF_RX" -w "$2/ring.pcap" -b "filesize:$((FILE_MB * 1000))" -b "files:$FILE_LIMIT" -B "$BUF_MIB";;
  esac
}

# ---- measurement helpers ------------------------------------------------------------------------
rx_stat() { ip netns exec "$NS_RX" cat "/sys/class/net/$IF_RX/statistics/$1" 2>/dev/null || echo 0; }
capture_socket_up() { # a packet socket in the capture netns bound to the capture interface
  ip netns exec "$NS_RX" awk -v ifx="$RX_IFINDEX" 'NR > 1 && $5 == ifx { found = 1 } END { exit !found }' /proc/net/packet
}
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo -1; }
thread_ticks() { # pid thread-name -> utime + stime of the process's threads of that name (-1 if none)
  local f line comm rest total=0 found=0 fields
  for f in /proc/"$1"/task/*/stat; do
    line=$(cat "$f" 2>/dev/null) || continue
    comm=${line#*(}; comm=${comm%)*}           # the name may hold spaces: it ends at the last ')'
    [ "$comm" = "$2" ] || continue
    rest=${line##*) }
    read -r -a fields <<< "$rest"              # fields[0] is field 3 (state): utime is 14, stime 15
    total=$((total + fields[11] + fields[12])); found=1
  done
  [ $found = 1 ] && echo "$total" || echo -1
}
ticks_seconds() { # ticks-before ticks-after -> CPU seconds between them, or NA
  awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (a < 0 || b < 0) print "NA"; else printf "%.2f", (b - a) / hz }'
}
# While ours-extracting captures: extract the last 30 s of the ring again and again, as a user
# would while the daemon runs, until the stop file appears. Each report (--json) is one line of
# extract.json; the output goes to standard output and from there to /dev/null (-w /dev/null
# would make extract write a temporary file in /dev and rename it over /dev/null).
extract_loop() { # ring-dir run-dir
  local n=0
  while [ ! -e "$2/extract.stop" ]; do
    n=$((n + 1))
    timeout 30 "$OURBIN" extract -o "$1" --last 30s --json -w - 'udp' > /dev/null 2>> "$2/extract.json"
    echo "$n $?" >> "$2/extract.runs"
  done
}
extract_summary() { # run-dir -> note text: extractions=N[,extract_failed=M][,extracted_pkts=MAX]
  local runs="$1/extract.runs" n failed pkts
  [ -s "$runs" ] || { echo "extractions=0"; return; }
  n=$(wc -l < "$runs"); failed=$(awk '$2 != 0' "$runs" | wc -l)
  pkts=$(grep -o '"packets_written": *[0-9]*' "$1/extract.json" 2>/dev/null | grep -o '[0-9]*$' | sort -n | tail -1)
  echo "extractions=$n$([ "$failed" != 0 ] && echo ",extract_failed=$failed"),extracted_pkts=${pkts:-0}"
}
dir_bytes() { du -sb "$1" 2>/dev/null | cut -f1; }
tool_stats() { # output file -> "captured dropped" as the tool reported them (NA if absent)
  tr '\r' '\n' < "$1" | awk '
    { for (i = 1; i <= NF; i++) {                                  # packet-capture: captured=N dropped=M
        if ($i ~ /^captured=[0-9]+/) { split($i, a, "="); c = a[2] + 0 }
        if ($i ~ /^dropped=[0-9]+/)  { split($i, a, "="); d = a[2] + 0 } } }
    / packets captured$/           { c = $1 }                      # tcpdump
    / packets dropped by kernel$/  { d = $1 }
    /^Packets captured: [0-9]+/    { c = $3 }                      # dumpcap
    /Packets received\/dropped on interface/ {
        for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); d = a[2] } }
    END { print (c == "" ? "NA" : c), (d == "" ? "NA" : d) }'
}
kv() { # key line -> value
  local k=$1; shift
  tr ' ' '\n' <<< "$*" | sed -n "s/^$k=//p" | head -1
}

# ---- one run ------------------------------------------------------------------------------------
# appends one tab-separated record to runs.tsv:
# tool size rate rep sent written dropped loss_pct cpu_s us_per_pkt rss_mib rss_minus_buf wrap note cpu_live_s send_pps
#   capture_thread_s publisher_thread_s capture_us_per_pkt   (our daemon's threads; NA for the others)
one_run() {
  local tool=$1 size=$2 rate=$3 rep=$4
  local rd="$OUT/$tool/s$size-r$rate-$rep" t0 deadline i note="" exit_code
  rm -rf "$rd"; mkdir -p "$rd/files"
  local -a cmd; mapfile -t cmd < <(tool_cmd "$tool" "$rd/files")
  printf '%s ' "${cmd[@]}" > "$rd/cmd"; echo >> "$rd/cmd"
  sync
  t0=$(date +%s); deadline=$((t0 + LIMIT))

  /usr/bin/time -f '%U %S %M %e %x' -o "$rd/time" \
    ip netns exec "$NS_RX" "${CAP_CPU[@]}" "${cmd[@]}" > "$rd/stdout" 2> "$rd/stderr" < /dev/null &
  TIME_PID=$!
  TOOL_PID=""
  for ((i = 0; i < 50; i++)); do            # time forks once; ip/taskset exec into the tool
    TOOL_PID=$(pgrep -P "$TIME_PID" | head -1)
    [ -n "$TOOL_PID" ] && break
    kill -0 "$TIME_PID" 2>/dev/null || break
    sleep 0.05
  done
  for ((i = 0; i < 100; i++)); do
    capture_socket_up && break
    kill -0 "$TIME_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! capture_socket_up; then
    [ -n "$TOOL_PID" ] && kill -KILL "$TOOL_PID" 2>/dev/null
    wait "$TIME_PID" 2>/dev/null; TOOL_PID=""; TIME_PID=""
    exit_code=$(tail -1 "$rd/time" 2>/dev/null | awk '{ print $5 }')
    log "$tool size=$size rate=$rate rep=$rep: capture never started (exit=${exit_code:-?}); stderr: $(tail -3 "$rd/stderr" | tr '\n' ' ')"
    printf '%s\t%s\t%s\t%s\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\t0\tnot_started,exit=%s\tNA\tNA\tNA\tNA\tNA\n' \
      "$tool" "$size" "$rate" "$rep" "${exit_code:-?}" >> "$RUNS"
    return
  fi
  sleep 1                                   # let the tool finish setting up its ring / files

  local rx0 rxd0 rx1 rxd1 gen gto
  rx0=$(rx_stat rx_packets); rxd0=$(rx_stat rx_dropped)
  local tick0 cap0=-1 pub0=-1; tick0=$(proc_ticks "$TOOL_PID")
  if is_ours "$tool"; then cap0=$(thread_ticks "$TOOL_PID" pc-capture); pub0=$(thread_ticks "$TOOL_PID" pc-publisher); fi
  if [ "$tool" = ours-extracting ]; then
    for ((j = 0; j < EXTRACT_JOBS; j++)); do
      extract_loop "$rd/files" "$rd" > /dev/null 2>&1 < /dev/null &
      EXTRACT_PID+="$! "
    done
  fi
  gto=$((deadline - $(date +%s) - 15)); [ $gto -lt 5 ] && gto=5
  local rarg; rarg=$(rate_pps "$rate" "$size")
  gen=$(ip netns exec "$NS_TX" "${SND_CPU[@]}" timeout "$gto" "$BIN/seqsend" -i "$IF_TX" -n "$COUNT" -s "$size" -r "$rarg" 2> "$rd/gen.err")
  echo "$gen" > "$rd/gen.out"
  local sent; sent=$(kv sent "$gen"); sent=${sent:-0}
  [ "$sent" = "$COUNT" ] || note+="short_send,"

  # drain: until the tool burns no CPU and its files stop growing for ~1 s (and within the limit)
  local last_t=-2 last_b=-2 calm=0 nt nb
  for ((i = 0; i < 60; i++)); do
    sleep 0.25
    nt=$(proc_ticks "$TOOL_PID"); nb=$(dir_bytes "$rd/files")
    if [ "$nt" -ge 0 ] && [ $((nt - last_t)) -le 1 ] && [ "$nb" = "$last_b" ]; then calm=$((calm + 1)); else calm=0; fi
    last_t=$nt; last_b=$nb
    [ $calm -ge 4 ] && break
    kill -0 "$TOOL_PID" 2>/dev/null || break
    [ "$(date +%s)" -ge $((deadline - 8)) ] && break
  done
  rx1=$(rx_stat rx_packets); rxd1=$(rx_stat rx_dropped)
  local tick1 cpu_live cap1=-1 pub1=-1 cap_s pub_s; tick1=$(proc_ticks "$TOOL_PID")
  if is_ours "$tool"; then cap1=$(thread_ticks "$TOOL_PID" pc-capture); pub1=$(thread_ticks "$TOOL_PID" pc-publisher); fi
  cpu_live=$(ticks_seconds "$tick0" "$tick1")
  cap_s=$(ticks_seconds "$cap0" "$cap1"); pub_s=$(ticks_seconds "$pub0" "$pub1")
  if is_ours "$tool" && [ "$cap1" -lt 0 ]; then note+="no_thread_names,"; fi   # a binary older than the named threads
  if [ -n "$EXTRACT_PID" ]; then           # the extraction in progress finishes, then the loop ends
    touch "$rd/extract.stop"; wait $EXTRACT_PID 2>/dev/null; EXTRACT_PID=""
    note+="$(extract_summary "$rd"),"
  fi

  # stop: SIGINT, then the tool must finish its file and exit on its own
  kill -0 "$TOOL_PID" 2>/dev/null || note+="exited_early,"
  kill -INT "$TOOL_PID" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$TOOL_PID" 2>/dev/null || break
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 0.1
  done
  if kill -0 "$TOOL_PID" 2>/dev/null; then
    note+="killed_after_sigint,"
    kill -TERM "$TOOL_PID" 2>/dev/null; sleep 1; kill -KILL "$TOOL_PID" 2>/dev/null
  fi
  wait "$TIME_PID" 2>/dev/null; TOOL_PID=""; TIME_PID=""

  local tl ucpu scpu rss_kb
  tl=$(tail -1 "$rd/time")
  read -r ucpu scpu rss_kb _ exit_code <<< "$tl"
  grep -q 'terminated by signal' "$rd/time" && note+="$(grep -o 'signal [0-9]*' "$rd/time" | tr ' ' '='),"
  [ "${exit_code:-0}" != 0 ] && note+="exit=$exit_code,"

  # what landed in the files
  local cnt
  cnt=$(find "$rd/files" -type f ! -name '.*' -print0 | sort -z | xargs -0 -r "$BIN/seqcount" "$sent" 2> "$rd/count.err")
  [ -n "$cnt" ] || cnt="files=0 unreadable=0 truncated=0 frames=0 tagged=0 unique=0 dups=0 first=-1 last=-1 holes=0"
  echo "$cnt" > "$rd/count"
  local nfiles unique first unread trunc dups
  nfiles=$(kv files "$cnt"); unique=$(kv unique "$cnt"); first=$(kv first "$cnt")
  unread=$(kv unreadable "$cnt"); trunc=$(kv truncated "$cnt"); dups=$(kv dups "$cnt")
  [ "$nfiles" = 0 ] && note+="no_files,"
  [ "$unread" != 0 ] && note+="unreadable_files=$unread,"
  [ "$trunc" != 0 ] && note+="truncated_files=$trunc,"
  [ "$dups" != 0 ] && note+="dup_pkts=$dups,"
  local rxdrop=$((rxd1 - rxd0)); [ $rxdrop -ne 0 ] && note+="veth_rx_drop=$rxdrop,"
  [ $((rx1 - rx0)) -ne "$sent" ] && note+="veth_rx=$((rx1 - rx0)),"

  local st tcap tdrop
  cat "$rd/stdout" "$rd/stderr" > "$rd/output"
  st=$(tool_stats "$rd/output"); tcap=${st% *}; tdrop=${st#* }
  [ "$tcap" = NA ] && note+="no_stats,"

  # the ring keeps the newest FILE_LIMIT files: if the oldest sequence numbers are gone and the
  # ring is full, it wrapped, and loss is measured over the retained window [first, sent).
  # Full means FILE_LIMIT - 1 files or more: stopped in the second half of a file, our ring
  # has already given one slot to the next file.
  local wrap=0
  if [ "$first" -gt 0 ] && [ "$nfiles" -ge $((FILE_LIMIT - 1)) ]; then wrap=1; fi
  local m
  m=$(awk -v s="$sent" -v u="$unique" -v f="$first" -v w=$wrap -v td="$tdrop" -v us="$ucpu" -v ss="$scpu" -v kb="$rss_kb" -v buf="$BUF_MIB" -v ours="$(is_ours "$tool" && echo 1)" -v capt="$cap_s" 'BEGIN {
        if (!w) lost = s - u
        else {                                     # wrapped: holes in the kept window are certain;
          lost = (s - f) - u                       # the tool drop counter covers the overwritten part
          if (td ~ /^[0-9]+$/) { if (td + 0 > lost) lost = td + 0 }
          else if (s - f > 0) lost = s * lost / (s - f)   # no counter: extrapolate the window rate
        }
        if (lost < 0) lost = 0
        loss = (s > 0 ? 100 * lost / s : 0)
        cap = s - lost                             # packets that made it to a file (estimated if wrapped)
        cpu = us + ss
        printf "%.3f %.2f %s %.1f %s %s", loss, cpu, (cap > 0 ? sprintf("%.3f", cpu * 1e6 / cap) : "NA"),
               kb / 1024, (ours ? sprintf("%.1f", kb / 1024 - buf) : "-"),
               (capt != "NA" && cap > 0 ? sprintf("%.4f", capt * 1e6 / cap) : "NA") }')
  local loss cpu uspp rss rssx capus
  read -r loss cpu uspp rss rssx capus <<< "$m"
  note=${note%,}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$size" "$rate" "$rep" "$sent" "$unique" \
    "$tdrop" "$loss" "$cpu" "$uspp" "$rss" "$rssx" "$wrap" "${note:--}" "$cpu_live" "$(kv pps "$gen")" "$cap_s" "$pub_s" "$capus" >> "$RUNS"
  log "$(printf '%-15s size=%-5s rate=%-7s rep=%s sent=%s written=%s dropped=%s loss=%s%% cpu=%ss (live %ss, capture thread %ss, publisher %ss) rss=%sMiB %s %s' \
    "$tool" "$size" "$rate" "$rep" "$sent" "$unique" "$tdrop" "$loss" "$cpu" "$cpu_live" "$cap_s" "$pub_s" "$rss" "$([ $wrap = 1 ] && echo wrapped)" "${note}")"
  [ "$KEEP" = 1 ] || rm -rf "$rd/files"
}

# ---- main loop: for each config and repetition, the tools take turns on the same traffic ---------
printf 'tool\tsize\trate\trep\tsent\twritten\tdropped\tloss_pct\tcpu_s\tus_per_pkt\trss_mib\trss_minus_buf_mib\twrapped\tnote\tcpu_live_s\tsend_pps\tcapture_thread_s\tpublisher_thread_s\tcapture_us_per_pkt\n' > "$RUNS"
RATES=$(echo "$RATES" | sed 's/\b0\b/max/g')
log "results: $OUT   count=$COUNT reps=$REPS sizes=[$SIZES] rates=[$RATES] limit=${LIMIT}s ($PINDESC)"
log "ring ${FILE_MB} MB x $FILE_LIMIT files; kernel buffer ${BUF_MIB} MiB for every tool; binary $OURBIN"
log "disk: $(awk -v b="$DISK_BPS" 'BEGIN { printf "%.0f MB/s", b / 1e6 }') sequential O_DIRECT write (dd, 1 GiB) in $OUT"
RUN_TOOLS=""
for t in $TOOLS; do
  case $t in ours|ours-noindex|ours-extracting) [ $HAVE_OURS = 1 ] && RUN_TOOLS+="$t ";; tcpdump|dumpcap) RUN_TOOLS+="$t ";;
    *) log "unknown tool '$t' ignored";; esac
done
T_ALL=$(date +%s)
for size in $SIZES; do
  for rate in $RATES; do
    for ((rep = 1; rep <= REPS; rep++)); do
      for tool in $RUN_TOOLS; do one_run "$tool" "$size" "$rate" "$rep"; done
    done
  done
done
log "all runs done in $(( $(date +%s) - T_ALL )) s"

# ---- table (median over repetitions) --------------------------------------------------------------
SUMMARY="$OUT/summary.txt"
{
echo
echo "packet-capture live benchmark: $COUNT packets/run, median of $REPS, ring ${FILE_MB} MB x $FILE_LIMIT, $PINDESC"
awk -v b="$DISK_BPS" 'BEGIN { printf "disk: %.0f MB/s sequential O_DIRECT write, measured at the start of this run\n", b / 1e6 }'
awk -F'\t' -v disk="$DISK_BPS" -v tools="$RUN_TOOLS" -v sizes="$SIZES" -v rates="$RATES" -v buf="$BUF_MIB" -v slack="$RSS_SLACK_MIB" -v have_ours="$HAVE_OURS" '
  function median(key, col,    n, i, j, t, v) {
    n = split(vals[key, col], v, " ")
    if (n == 0 || vals[key, col] == "") return "NA"
    for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
  }
  function ratestr(r) { return r == "max" ? "max" : (r % 1000 == 0 ? r / 1000 "k" : r) }
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  {
    key = $1 SUBSEP $2 SUBSEP $3
    runs[key]++
    if ($5 == "NA") { bad[key]++; notes[key] = notes[key] " " $14; next }
    ok[key]++
    for (c = 5; c <= 19; c++) if (c != 13 && c != 14 && $c != "NA" && $c != "-") vals[key, c] = vals[key, c] " " $c
    if ($13 == 1) wr[key] = 1
    if ($14 != "-") notes[key] = notes[key] " " $14
    if ($1 ~ /^ours/ && $11 + 0 > maxrss) maxrss = $11 + 0
  }
  END {
    hdr = "%-15s %5s %6s %9s %8s %6s %9s %9s %8s %7s %8s %8s %8s %7s %8s %9s  %s\n"
    printf hdr, "tool", "size", "rate", "sent", "tx_kpps", "disk%", "written", "dropped", "loss%", "cpu_s", "us/pkt", "live_s", "cap_us", "pub_s", "rss_MiB", "rss-buf", "notes"
    nt = split(tools, T, " "); ns = split(sizes, S, " "); nr = split(rates, R, " ")
    for (a = 1; a <= ns; a++) for (b = 1; b <= nr; b++) for (t = 1; t <= nt; t++) {
      key = T[t] SUBSEP S[a] SUBSEP R[b]
      if (!(key in runs)) continue
      if (!(key in ok)) { printf hdr, T[t], S[a], ratestr(R[b]), "NA", "NA", "NA", "NA", "NA", "NA", "NA", "NA", "NA", "NA", "NA", "NA", "NA", "no valid run:" notes[key]; continue }
      for (c = 5; c <= 19; c++) m[c] = median(key, c)
      M[key, "cpu"] = m[9]; M[key, "live"] = m[15]; M[key, "capus"] = m[19]; M[key, "pub"] = m[18]
      M[key, "loss"] = m[8]; M[key, "uspp"] = m[10]; M[key, "wrapped"] = wr[key] ? 1 : 0
      M[key, "kept"] = m[5] * (1 - m[8] / 100)   # packets that reached a file, estimated if wrapped
      M[key, "disk"] = (m[16] == "NA" || disk <= 0) ? "NA" : m[16] * (S[a] + 16) / disk * 100
      if (m[15] != "NA" && m[6] + 0 > 0) M[key, "liveus"] = m[15] * 1e6 * (m[10] != "NA" && m[9] > 0 ? m[10] / (m[9] * 1e6) : 1 / m[6])
      n = notes[key]; if (wr[key]) n = "wrapped(loss estimated)" n
      if (bad[key]) n = n " " bad[key] "/" runs[key] " runs failed"
      printf "%-15s %5s %6s %9d %8s %6s %9d %9s %8.3f %7.2f %8s %8s %8s %7s %8.1f %9s  %s\n", T[t], S[a], ratestr(R[b]), m[5],
        (m[16] == "NA" ? "NA" : sprintf("%.0f", m[16] / 1000)), (M[key, "disk"] == "NA" ? "NA" : sprintf("%.0f", M[key, "disk"])), m[6], m[7], m[8], m[9],
        (m[10] == "NA" ? "NA" : sprintf("%.3f", m[10])), (m[15] == "NA" ? "NA" : sprintf("%.2f", m[15])),
        (m[19] == "NA" ? "-" : sprintf("%.4f", m[19])), (m[18] == "NA" ? "-" : sprintf("%.2f", m[18])), m[11], (T[t] ~ /^ours/ ? sprintf("%.1f", m[12]) : "-"), n
    }
    print ""
    print "targets:"
    if (!have_ours || index(tools, "ours") == 0) { print "  SKIP  all targets: packet-capture was not run"; exit }
    # (1) zero loss wherever tcpdump has zero loss
    t1 = "PASS"; n1 = 0; d1 = ""
    for (a = 1; a <= ns; a++) for (b = 1; b <= nr; b++) {
      kt = "tcpdump" SUBSEP S[a] SUBSEP R[b]; ko = "ours" SUBSEP S[a] SUBSEP R[b]
      if (!((kt, "loss") in M)) continue
      if (M[kt, "loss"] + 0 != 0) continue
      n1++
      lo = ((ko, "loss") in M) ? M[ko, "loss"] : "NA"
      r = (lo != "NA" && lo + 0 == 0) ? "ok" : "LOSS"
      if (r != "ok") t1 = "FAIL"
      d1 = d1 sprintf(" %s/%s:%s%%", S[a], ratestr(R[b]), lo)
    }
    if (n1 == 0) { t1 = "PASS"; d1 = " (no config where tcpdump had zero loss, nothing to check)" }
    printf "  %s  (1) zero loss wherever tcpdump has zero loss; ours per config:%s\n", t1, d1
    # (2) CPU per captured packet <= half of tcpdump
    t2 = "PASS"; n2 = 0; d2 = ""
    for (a = 1; a <= ns; a++) for (b = 1; b <= nr; b++) {
      kt = "tcpdump" SUBSEP S[a] SUBSEP R[b]; ko = "ours" SUBSEP S[a] SUBSEP R[b]
      if (!((kt, "uspp") in M) || M[kt, "uspp"] == "NA") continue
      n2++
      uo = ((ko, "uspp") in M) ? M[ko, "uspp"] : "NA"
      ratio = (uo != "NA" && M[kt, "uspp"] > 0) ? uo / M[kt, "uspp"] : -1
      if (ratio < 0 || ratio > 0.5) t2 = "FAIL"
      d2 = d2 sprintf(" %s/%s:%s", S[a], ratestr(R[b]), ratio < 0 ? "NA" : sprintf("%.2fx", ratio))
    }
    if (n2 == 0) { t2 = "SKIP"; d2 = " (no tcpdump figures)" }
    printf "  %s  (2) our CPU per captured packet <= 0.5 x tcpdump; ours/tcpdump:%s\n", t2, d2
    d2b = ""
    for (a = 1; a <= ns; a++) for (b = 1; b <= nr; b++) {
      kt = "tcpdump" SUBSEP S[a] SUBSEP R[b]; ko = "ours" SUBSEP S[a] SUBSEP R[b]
      if (((kt, "liveus") in M) && ((ko, "liveus") in M) && M[kt, "liveus"] > 0)
        d2b = d2b sprintf(" %s/%s:%.2fx", S[a], ratestr(R[b]), M[ko, "liveus"] / M[kt, "liveus"])
    }
    if (d2b != "") printf "  info      same ratio from live_s (capture window only, startup/shutdown left out):%s\n", d2b
    # (3) peak RSS <= kernel buffer + slack (worst run)
    lim = buf + slack
    printf "  %s  (3) our peak RSS <= %d MiB buffer + %d MiB = %d MiB; worst run: %.1f MiB (%.1f MiB over the buffer)\n",
      (maxrss > 0 && maxrss <= lim ? "PASS" : "FAIL"), buf, slack, lim, maxrss, maxrss - buf
    # Steady state: configs where our ring wrapped (files were deleted while writing).
    t4 = "PASS"; n4 = 0; d4 = ""; t5 = "PASS"; n5 = 0; d5 = ""
    for (a = 1; a <= ns; a++) for (b = 1; b <= nr; b++) {
      ko = "ours" SUBSEP S[a] SUBSEP R[b]
      if (!((ko, "loss") in M) || !M[ko, "wrapped"]) continue
      # (4) zero loss up to 70 % of the disk bandwidth (by the rate actually sent)
      if (M[ko, "disk"] != "NA" && M[ko, "disk"] <= 71) {   # a "70%" rate lands within a percent of it
        n4++
        if (M[ko, "loss"] + 0 != 0) t4 = "FAIL"
        d4 = d4 sprintf(" %s/%s(%.0f%%disk):%s%%", S[a], ratestr(R[b]), M[ko, "disk"], M[ko, "loss"])
      }
      # (5) less loss than tcpdump and dumpcap (all three at zero counts as met)
      n5++; worse = ""
      for (t = 1; t <= nt; t++) {
        if (T[t] ~ /^ours/) continue
        kx = T[t] SUBSEP S[a] SUBSEP R[b]
        if (!((kx, "loss") in M)) continue
        if (M[ko, "loss"] + 0 > 0 && M[ko, "loss"] + 0 >= M[kx, "loss"] + 0) worse = worse " " T[t]
        d5 = d5 sprintf(" %s/%s:%s=%s%%", S[a], ratestr(R[b]), T[t], M[kx, "loss"])
      }
      if (worse != "") t5 = "FAIL"
      d5 = d5 sprintf(" ours=%s%%%s;", M[ko, "loss"], worse == "" ? "" : " (not below" worse ")")
    }
    if (n4 == 0) { t4 = "SKIP"; d4 = " (no wrapped config at or under 70 % of the disk; try --steady)" }
    if (n5 == 0) { t5 = "SKIP"; d5 = " (our ring never wrapped; try --steady)" }
    printf "  %s  (4) steady state (ring wrapped): zero loss up to 70 %% of the disk bandwidth:%s\n", t4, d4
    printf "  %s  (5) steady state: less loss than tcpdump and dumpcap at every rate:%s\n", t5, d5
    # (6) top speed: the most packets written of the tools
    t6 = "SKIP"; d6 = ""
    for (a = 1; a <= ns; a++) for (b = 1; b <= nr; b++) {
      if (R[b] != "max") continue
      ko = "ours" SUBSEP S[a] SUBSEP R[b]
      if (!((ko, "kept") in M)) continue
      if (t6 == "SKIP") t6 = "PASS"
      best = ""
      for (t = 1; t <= nt; t++) {
        kx = T[t] SUBSEP S[a] SUBSEP R[b]
        if (T[t] !~ /^ours/ && ((kx, "kept") in M) && M[kx, "kept"] > M[ko, "kept"]) best = best " " T[t]
        if ((kx, "kept") in M) d6 = d6 sprintf(" %s/max:%s=%.0f", S[a], T[t], M[kx, "kept"])
      }
      if (best != "") t6 = "FAIL"
      d6 = d6 ";"
    }
    printf "  %s  (6) top speed: the most packets written (sent - lost):%s\n", t6, d6
    # (7) the flow index costs the capture thread at most 10 % CPU per packet (64 B, top speed)
    t7 = "SKIP"; d7 = " (needs ours and ours-noindex at 64 B, rate max; try --index-cost)"; d7b = ""
    ko = "ours" SUBSEP 64 SUBSEP "max"; kn = "ours-noindex" SUBSEP 64 SUBSEP "max"
    if (((ko, "capus") in M) && ((kn, "capus") in M) && (M[ko, "capus"] == "NA" || M[kn, "capus"] == "NA"))
      d7 = " (no capture thread CPU: the daemon has no thread named pc-capture, see the notes)"
    else if (((ko, "capus") in M) && ((kn, "capus") in M) && M[kn, "capus"] > 0) {
      ratio = M[ko, "capus"] / M[kn, "capus"]
      t7 = ratio <= 1.10 ? "PASS" : "FAIL"
      d7 = sprintf(" %.4f vs %.4f us/pkt = %.3fx", M[ko, "capus"], M[kn, "capus"], ratio)
    }
    printf "  %s  (7) capture thread CPU per packet with the flow index within 10 %% of without it (64 B, top speed):%s\n", t7, d7
    for (a = 1; a <= ns; a++) for (b = 1; b <= nr; b++) {
      ko = "ours" SUBSEP S[a] SUBSEP R[b]; kn = "ours-noindex" SUBSEP S[a] SUBSEP R[b]
      if (!((ko, "uspp") in M) || !((kn, "uspp") in M)) continue
      d7b = d7b sprintf(" %s/%s: us/pkt %s, live_s %s, publisher %s vs %s;", S[a], ratestr(R[b]),
        (M[ko, "uspp"] != "NA" && M[kn, "uspp"] > 0 ? sprintf("%.2fx", M[ko, "uspp"] / M[kn, "uspp"]) : "NA"),
        (M[ko, "live"] != "NA" && M[kn, "live"] > 0 ? sprintf("%.2fx", M[ko, "live"] / M[kn, "live"]) : "NA"),
        (M[ko, "pub"] == "NA" ? "NA" : M[ko, "pub"] "s"), (M[kn, "pub"] == "NA" ? "NA" : M[kn, "pub"] "s"))
    }
    if (d7b != "") printf "  info      whole process, ours/ours-noindex:%s\n", d7b
    # (8) an extraction running beside the capture costs it no packets
    t8 = "SKIP"; d8 = ""; n8 = 0
    for (a = 1; a <= ns; a++) for (b = 1; b <= nr; b++) {
      ko = "ours" SUBSEP S[a] SUBSEP R[b]; ke = "ours-extracting" SUBSEP S[a] SUBSEP R[b]
      if (!((ko, "loss") in M) || !((ke, "loss") in M)) continue
      n8++; if (t8 == "SKIP") t8 = "PASS"
      if (M[ke, "loss"] + 0 > M[ko, "loss"] + 0) t8 = "FAIL"
      nx = notes[ke]; sub(/^ /, "", nx)
      d8 = d8 sprintf(" %s/%s: ours=%s%% ours-extracting=%s%% (%s);", S[a], ratestr(R[b]), M[ko, "loss"], M[ke, "loss"], nx)
    }
    if (n8 == 0) d8 = " (needs ours and ours-extracting; try --extract-during)"
    printf "  %s  (8) capture with extraction running: loss no higher than without (ours vs ours-extracting):%s\n", t8, d8
  }' "$RUNS"
echo
echo "per-run records: $RUNS ; logs per run under $OUT/<tool>/"
} | tee "$SUMMARY"
