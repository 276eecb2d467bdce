#!/usr/bin/env bash
# Fuzzing stage of CI (issue 10): every libFuzzer target of tests/fuzz (fuzz_*.cpp) for
# SECONDS (default 60) from its seed corpus, two at a time on two cores, in the CI build
# (clang, ASan + UBSan + coverage; .ci/env.sh). Builds only the fuzz targets when that build
# is not complete yet (in .ci/run the build stage has built them). Fails, naming the input,
# when any fuzzer finds a crash, a leak or a timeout.
#   .ci/fuzz.sh [--prebuilt] [SECONDS]
# --prebuilt: neither setup nor a build (.ci/run starts the fuzzers beside the self-test,
# which runs its own setup and build step: two builds in one folder at once would race);
# fails when a fuzz target is missing.
# Environment: BNET_E2E_CI_BUILD_DIR (default ./build-ci), BNET_E2E_FUZZ_OUT (default
# <build>/fuzz-out: logs, artifacts/<target>/crash-*, the grown corpora), BNET_E2E_FUZZ_JOBS.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=.ci/env.sh
source "$here/env.sh"
prebuilt=0
if [ "${1:-}" = --prebuilt ]; then prebuilt=1; shift; fi
seconds=${1:-60}
build_dir=$BNET_E2E_CI_BUILD_DIR
out=${BNET_E2E_FUZZ_OUT:-$build_dir/fuzz-out}
jobs=${BNET_E2E_FUZZ_JOBS:-$(nproc)}
start=$(date +%s)

if [ "$prebuilt" = 0 ]; then
  "$root/tools/setup.sh" --no-build
  if [ ! -f "$build_dir/build.ninja" ]; then
    # shellcheck disable=SC2086
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache $BNET_E2E_CI_CMAKE_ARGS >/dev/null
  fi
  cmake --build "$build_dir" --target fuzz_all -- -j"$jobs"
fi
built=$(date +%s)
echo "fuzz: built in $(( built - start )) s"

targets=()
for src in "$root"/tests/fuzz/fuzz_*.cpp; do
  name=$(basename "$src" .cpp)
  targets+=("${name#fuzz_}")
  if [ ! -x "$build_dir/fuzz/$name" ]; then
    echo "fuzz: FAILED: $build_dir/fuzz/$name is not built (the build stage builds every fuzz target)" >&2
    exit 1
  fi
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
  # The outer timeout only guards against a fuzzer that hangs outside libFuzzer's own limits.
  timeout -k 10 $(( seconds * 2 + 60 )) "$build_dir/fuzz/fuzz_$name" "${args[@]}" "$out/corpus/$name" "$seeds" > "$out/$name.log" 2>&1
}
export -f run_one
export root build_dir out seconds

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {} && echo "fuzz: {}: ok" || echo "fuzz: {}: FAILED"' \
  > "$out/summary.txt" || true
passed=0 failed=0
for name in "${targets[@]}"; do
  line=$(grep -E "^fuzz: $name: " "$out/summary.txt" || echo "fuzz: $name: no result")
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$out/$name.log" | grep -oE '[0-9]+$' || echo "?")
  echo "$line ($runs runs; log $out/$name.log)"
  if [ "$line" = "fuzz: $name: ok" ]; then
    passed=$(( passed + 1 ))
  else
    failed=$(( failed + 1 ))
    for input in "$out/artifacts/$name"/*; do
      [ -e "$input" ] && echo "fuzz: $name: crashing input: $input"
    done
    grep -m1 -E 'ERROR: |runtime error|deadly signal|terminate called' "$out/$name.log" || true
  fi
done
echo "fuzz: ${#targets[@]} targets x ${seconds} s; total $(( $(date +%s) - start )) s (build $(( built - start )) s)"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
