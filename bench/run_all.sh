#!/usr/bin/env bash
# Every figure of docs/BENCHMARKS.md, one after another (about 4 minutes under TCG; the twin
# part waits for other VMs to end first). Build first:
#   cmake --build build --target eth_bench event_latency_bench orderflow_bench startup_bench \
#     snapshot_bench orderflow_test hub_contract_suite wait_test
# Usage: bench/run_all.sh [build-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
"$here/run_signing_bench.sh" "$build"; echo
"$build/bench/orderflow_bench"; echo
"$build/bench/event_latency_bench" 20; echo
"$build/bench/startup_bench" devnet 3; echo
"$build/bench/startup_bench" twin 1; echo
"$build/bench/snapshot_bench" 5; echo
"$here/peak_memory.sh" "$build"
