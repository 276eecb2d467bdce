#!/usr/bin/env bash
# Peak memory (max RSS, GNU time -v) of test processes running host-side suites, against a
# baseline measured in the same invocation: wait_test, the smallest test binary on the same
# framework library (its RSS is what linking the framework and GoogleTest costs).
# GNU time reports the maximum over the process and the children it waited for, so a
# suite's figure is at least that of its largest child (anvil, a stand-in).
# Usage: bench/peak_memory.sh [build-dir]     (about 1 minute: runs the suites once)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
export BNET_E2E_SOURCE_DIR="$(cd "$here/.." && pwd)" BNET_E2E_BINARY_DIR="$build"
suites=(tests/wait/wait_test tests/orderflow/orderflow_test suites/hub_contract/hub_contract_suite)
for s in "${suites[@]}"; do
  [[ -x "$build/$s" ]] || { echo "no $build/$s: cmake --build $build --target $(basename "$s")" >&2; exit 2; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

maxrss_kib() {  # <binary>: runs it, prints its max RSS in KiB and whether it passed
  local out="$work/$(basename "$1").time" rc=0
  (cd "$work" && /usr/bin/time -v -o "$out" "$build/$1" >"$out.log" 2>&1) || rc=$?
  echo "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out") $rc"
}

read -r base base_rc <<<"$(maxrss_kib "${suites[0]}")"
printf "peak memory (max RSS, /usr/bin/time -v) of test processes\n"
printf "  %-40s %8.1f MiB  (baseline; exit %s)\n" "wait_test" "$(bc -l <<<"$base/1024")" "$base_rc"
for s in "${suites[@]:1}"; do
  read -r kib rc <<<"$(maxrss_kib "$s")"
  printf "  %-40s %8.1f MiB  %5.1fx baseline (exit %s)\n" "$(basename "$s")" "$(bc -l <<<"$kib/1024")" \
    "$(bc -l <<<"$kib/$base")" "$rc"
done
