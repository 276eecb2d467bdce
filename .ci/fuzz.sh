#!/usr/bin/env bash
# Fuzzing job (issue 10): builds the libFuzzer targets of tests/fuzz with clang, ASan and
# UBSan in their own build folder (ccache keeps it incremental), then runs every fuzzer for
# SECONDS (default 60) from its seed corpus, two at a time on two cores. Fails, naming the
# crashing input, when any fuzzer finds a crash, a leak or a timeout.
#   .ci/fuzz.sh [SECONDS]
# Environment: BNET_E2E_FUZZ_BUILD_DIR (default ./build-fuzz), BNET_E2E_FUZZ_OUT (default
# <build>/fuzz-out: logs, artifacts/<target>/crash-*, the grown corpora), BNET_E2E_FUZZ_JOBS.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-60}
build_dir=${BNET_E2E_FUZZ_BUILD_DIR:-$root/build-fuzz}
out=${BNET_E2E_FUZZ_OUT:-$build_dir/fuzz-out}
jobs=${BNET_E2E_FUZZ_JOBS:-$(nproc)}
start=$(date +%s)
# ccache hits across clones in other folders (CI builds a fresh clone): paths relative to root.
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true

"$root/tools/setup.sh" --no-build
if [ ! -f "$build_dir/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DBNET_E2E_FUZZ=ON -DBNET_E2E_BUILD_BENCH=OFF
fi
# Within $BNET_E2E_BUILD_BUDGET when set: exit 75 (deferred) when the build runs out of it.
"$here/budgeted-build.sh" fuzz cmake --build "$build_dir" --target fuzz_all -j"$jobs"
built=$(date +%s)
echo "fuzz: built in $(( built - start )) s"

targets=()
for src in "$root"/tests/fuzz/fuzz_*.cpp; do
  name=$(basename "$src" .cpp)
  targets+=("${name#fuzz_}")
done

rm -rf "$out"
mkdir -p "$out"
# Each fuzzer: its committed seed corpus read-only, new inputs into a scratch corpus, crashes
# into artifacts/<target>/. -close_fd_mask=3: the parsers' own log lines are not noise in the
# log (libFuzzer and sanitizer reports still print).
run_one() {
  local name=$1
  local seeds="$root/tests/fuzz/corpus/$name"
  local dict="$root/tests/fuzz/$name.dict"
  mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1
              -artifact_prefix="$out/artifacts/$name/")
  [ -f "$dict" ] && args+=(-dict="$dict")
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$build_dir/fuzz/fuzz_$name" "${args[@]}" "$out/corpus/$name" "$seeds" > "$out/$name.log" 2>&1
}
export -f run_one
export root build_dir out seconds

status=0
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {} && echo "fuzz: {}: ok" || echo "fuzz: {}: FAILED"' \
  > "$out/summary.txt" || true
for name in "${targets[@]}"; do
  line=$(grep -E "^fuzz: $name: " "$out/summary.txt" || echo "fuzz: $name: no result")
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$out/$name.log" | grep -oE '[0-9]+$' || echo "?")
  echo "$line ($runs runs; log $out/$name.log)"
  if [ "$line" != "fuzz: $name: ok" ]; then
    status=1
    for input in "$out/artifacts/$name"/*; do
      [ -e "$input" ] && echo "fuzz: $name: crashing input: $input"
    done
    grep -m1 -E 'ERROR: |runtime error|deadly signal|terminate called' "$out/$name.log" || true
  fi
done
echo "fuzz: ${#targets[@]} targets x ${seconds} s; total $(( $(date +%s) - start )) s (build $(( built - start )) s)"
exit $status
