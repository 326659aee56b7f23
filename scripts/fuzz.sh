#!/usr/bin/env bash
# Fuzzes every parser of outside input: builds the libFuzzer targets of tests/fuzz with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/ (or $FUZZ_BUILD_DIR), replays
# the saved regression inputs, then runs each target for SECONDS on a fresh working corpus
# seeded from tests/fuzz/corpus/TARGET (and tests/data for the capture scanner).
# Fails on any crash, leak, timeout or sanitizer report; the input that caused it is kept in
# build-fuzz/fuzz-artifacts/TARGET/ (copy it to tests/fuzz/regressions/TARGET/ once fixed).
# Usage: scripts/fuzz.sh SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz.sh SECONDS}
build=${FUZZ_BUILD_DIR:-build-fuzz}
cxx=${FUZZ_CXX:-clang++-14}

echo "== fuzz: build ($cxx, ASan + UBSan + libFuzzer) in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DPACKET_CAPTURE_FUZZ=ON -DPACKET_CAPTURE_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_targets

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Reports libFuzzer or a sanitizer writes even when the exit status would hide them.
report_pattern='ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer'
failed=()
summary=()

# Runs TARGET with ARGS, output to LOG; true only when it exits 0 with no sanitizer report.
run_clean() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 && ! grep -Eq "$report_pattern" "$log"
}

for target_path in "$build"/tests/fuzz/*_fuzz; do
  target=$(basename "$target_path")
  work="$build/fuzz-work/$target"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  seeds=(tests/fuzz/corpus/"$target")
  [ "$target" = capture_scanner_fuzz ] && seeds+=(tests/data)
  options=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/")
  [ -f "tests/fuzz/$target.dict" ] && options+=(-dict="tests/fuzz/$target.dict")

  regressions=(tests/fuzz/regressions/"$target"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "== fuzz: $target replays ${#regressions[@]} regression inputs"
    if ! run_clean "$work/regressions.log" "$target_path" "${options[@]}" "${regressions[@]}"; then
      tail -n 40 "$work/regressions.log"
      failed+=("$target (regression inputs)")
    fi
  fi

  echo "== fuzz: $target for ${seconds}s"
  if ! run_clean "$work/fuzz.log" "$target_path" "${options[@]}" -max_total_time="$seconds" \
    -print_final_stats=1 "$work/corpus" "${seeds[@]}"; then
    tail -n 60 "$work/fuzz.log"
    echo "fuzz: $target failed; inputs: $(ls "$work/artifacts" | tr '\n' ' ')"
    failed+=("$target")
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log" | tail -n 1)
  corpus=$(find "$work/corpus" -type f | wc -l)
  summary+=("$(printf '%-24s %10s exec/s %12s runs %6s corpus files' "$target" "${rate:-?}" "${runs:-?}" "$corpus")")
done

[ ${#summary[@]} -gt 0 ] || { echo "fuzz: no targets built in $build/tests/fuzz" >&2; exit 1; }
echo "== fuzz: executions per second (${seconds}s each)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no crash, leak or sanitizer report"
