#!/usr/bin/env bash
# bench/offline.sh - offline write throughput: a big pcap rewritten into a 100 MB x 10 ring by
# packet-capture (--read) and by tcpdump (-r), timed with hyperfine next to the disk's
# sequential write speed (dd with O_DIRECT, dd + fdatasync) and a plain cp.
#
# usage: bench/offline.sh [options]
#   -S, --size MB      size of the generated pcap in MB (10^6 bytes)         (default 1000)
#   -m, --mix MODE     frame sizes: mixed | 64 | 1500                          (default mixed)
#   -i, --input FILE   use this pcap instead of generating one
#   -r, --runs N       hyperfine runs per command (after 1 warm-up)            (default 3)
#   -b, --binary PATH  our daemon                             (default <repo>/build/packet-capture)
#   -d, --dir DIR      work dir: input, outputs, results (default ${TMPDIR:-/tmp}/pc-bench/offline)
#       --sync         also time each tool followed by `sync` (page cache flushed to disk)
#   -h, --help
# Input and output share the work dir's file system, so dd/cp there are the ceilings.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SIZE_MB=1000; MIX=mixed; INPUT=""; RUNS=3; OURBIN="$REPO/build/packet-capture"
DIR=${TMPDIR:-/tmp}/pc-bench/offline; WITH_SYNC=0
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case $1 in
    -S|--size) SIZE_MB=$2; shift;;
    -m|--mix) MIX=$2; shift;;
    -i|--input) INPUT=$2; shift;;
    -r|--runs) RUNS=$2; shift;;
    -b|--binary) OURBIN=$2; shift;;
    -d|--dir) DIR=$2; shift;;
    --sync) WITH_SYNC=1;;
    -h|--help) usage 0;;
    *) echo "unknown option: $1" >&2; usage 2;;
  esac
  shift
done
for c in hyperfine tcpdump gcc python3 dd; do
  command -v "$c" >/dev/null || { echo "offline.sh: missing $c (run bench/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$DIR" || exit 1
DIR=$(cd "$DIR" && pwd)
OUTD="$DIR/out"
BIN=$(mktemp -d "${TMPDIR:-/tmp}/pc-bench-bin.XXXXXX")
trap 'rm -rf "$BIN" "$OUTD"' EXIT
gcc -O2 -Wall -o "$BIN/bigpcap" "$HERE/src/bigpcap.c" &&
gcc -O2 -Wall -o "$BIN/seqcount" "$HERE/src/seqcount.c" -lpcap || { echo "offline.sh: helper build failed" >&2; exit 1; }

# ---- input ------------------------------------------------------------------------------------
if [ -z "$INPUT" ]; then
  INPUT="$DIR/big-$MIX-${SIZE_MB}MB.pcap"
  if [ ! -s "$INPUT" ] || [ "$(stat -c %s "$INPUT")" -lt $((SIZE_MB * 1000000)) ]; then
    echo "# generating $INPUT" >&2
    "$BIN/bigpcap" "$INPUT.tmp" "$SIZE_MB" "$MIX" && mv "$INPUT.tmp" "$INPUT" || exit 1
  fi
fi
INPUT=$(realpath "$INPUT")
IN_BYTES=$(stat -c %s "$INPUT")
IN_PKTS=$("$BIN/seqcount" 0 "$INPUT" | sed -n 's/.* frames=\([0-9]*\).*/\1/p')
echo "# input $INPUT: $IN_BYTES bytes, $IN_PKTS packets, mean frame $(( (IN_BYTES - 24) / IN_PKTS - 16 )) B" >&2
cat "$INPUT" > /dev/null   # warm the page cache: both tools read from memory

# ---- sanity pass: each tool once, outside hyperfine, so a failure is reported, not fatal -------
OURS_OK=0
ring_frames() { find "$OUTD" -type f ! -name '.*' -print0 | sort -z | xargs -0 -r "$BIN/seqcount" 0 | sed -n 's/.* frames=\([0-9]*\).*/\1/p'; }
rm -rf "$OUTD"; mkdir -p "$OUTD"
tcpdump -r "$INPUT" -w "$OUTD/ring" -C 100 -W 10 -Z root 2> "$DIR/tcpdump.err"
echo "# tcpdump: exit=$? files=$(find "$OUTD" -type f ! -name '.*' | wc -l) frames_in_ring=$(ring_frames)" >&2
if [ -x "$OURBIN" ]; then
  rm -rf "$OUTD"; mkdir -p "$OUTD"
  "$OURBIN" run --read "$INPUT" --output-dir "$OUTD" --file-size 100 --file-limit 10 > "$DIR/ours.out" 2> "$DIR/ours.err"
  rc=$?
  echo "# ours: exit=$rc files=$(find "$OUTD" -type f ! -name '.*' | wc -l) frames_in_ring=$(ring_frames) stderr: $(tail -2 "$DIR/ours.err" | tr '\n' ' ')" >&2
  if [ $rc = 0 ] && [ -n "$(find "$OUTD" -type f ! -name '.*')" ]; then OURS_OK=1
  else echo "# WARNING: packet-capture --read failed (exit $rc) or wrote nothing: not timed" >&2; fi
else
  echo "# WARNING: $OURBIN not found: not timed" >&2
fi

# ---- timing ------------------------------------------------------------------------------------
PREP="rm -rf '$OUTD' && mkdir -p '$OUTD' && sync"
cmds=(-n "dd_direct(disk)" "dd if=/dev/zero of='$OUTD/dd.bin' bs=1M count=1024 oflag=direct status=none"
      -n "dd_fdatasync(disk)" "dd if=/dev/zero of='$OUTD/dd.bin' bs=1M count=1024 conv=fdatasync status=none"
      -n "cp(page_cache)" "cp '$INPUT' '$OUTD/copy.pcap'"
      -n "tcpdump" "tcpdump -r '$INPUT' -w '$OUTD/ring' -C 100 -W 10 -Z root")
[ $OURS_OK = 1 ] && cmds+=(-n "packet-capture" "'$OURBIN' run --read '$INPUT' --output-dir '$OUTD' --file-size 100 --file-limit 10")
if [ $WITH_SYNC = 1 ]; then
  cmds+=(-n "tcpdump+sync" "tcpdump -r '$INPUT' -w '$OUTD/ring' -C 100 -W 10 -Z root 2>/dev/null; sync")
  [ $OURS_OK = 1 ] && cmds+=(-n "packet-capture+sync" "'$OURBIN' run --read '$INPUT' --output-dir '$OUTD' --file-size 100 --file-limit 10 2>/dev/null; sync")
fi
JSON="$DIR/hyperfine.json"
hyperfine --style basic --warmup 1 --runs "$RUNS" --prepare "$PREP" --export-json "$JSON" "${cmds[@]}" >&2 || {
  echo "offline.sh: hyperfine failed" >&2; exit 1; }

# ---- MB/s table -------------------------------------------------------------------------------
python3 - "$JSON" "$IN_BYTES" "$IN_PKTS" <<'PY' | tee "$DIR/summary.txt"
import json, sys
res = json.load(open(sys.argv[1]))["results"]
in_bytes, in_pkts = int(sys.argv[2]), int(sys.argv[3])
print(f"\noffline rewrite into a 100 MB x 10 ring: input {in_bytes / 1e6:.0f} MB, {in_pkts} packets "
      f"(mean {in_bytes / in_pkts:.0f} B/record); MB = 10^6 bytes")
print(f"{'command':<22} {'mean_s':>8} {'stddev':>7} {'MB/s':>8} {'Mpps':>6}")
for r in res:
    name, mean, sd = r["command"], r["mean"], r["stddev"] or 0.0
    disk = name.startswith("dd_")
    nbytes = 1024 * 1048576 if disk else in_bytes
    mpps = "-" if disk or name.startswith("cp") else f"{in_pkts / mean / 1e6:.2f}"
    print(f"{name:<22} {mean:8.3f} {sd:7.3f} {nbytes / mean / 1e6:8.0f} {mpps:>6}")
PY
echo "hyperfine JSON: $JSON"
