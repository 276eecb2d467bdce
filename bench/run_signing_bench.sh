#!/usr/bin/env bash
# Transactions signed per second on one core (CPU 0): the framework (eth_bench's
# BM_SignEip1559Transfer: build + sign + encode an EIP-1559 transfer) against ethers 6 in Node
# signing the same transactions (bench/ethers_sign.mjs) and against bare libsecp256k1 signing
# the same signing hashes (BM_Secp256k1SignBaseline). All three run in this one invocation.
# Usage: bench/run_signing_bench.sh [build-dir]     (about 20 s)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
bench="$build/bench/eth_bench"
[[ -x "$bench" ]] || { echo "no $bench: cmake --build $build --target eth_bench" >&2; exit 2; }
command -v node >/dev/null || { echo "node not found (tools/setup.sh installs it)" >&2; exit 2; }
pin=(taskset -c 0)
command -v taskset >/dev/null || pin=()

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"${pin[@]}" "$bench" --benchmark_filter='BM_SignEip1559Transfer|BM_Secp256k1SignBaseline' \
  --benchmark_min_time=3 --benchmark_format=json >"$out"
ethers="$("${pin[@]}" node "$here/ethers_sign.mjs" 5)"

framework_rate="$(jq '.benchmarks[] | select(.name=="BM_SignEip1559Transfer") | .items_per_second' "$out")"
secp_rate="$(jq '.benchmarks[] | select(.name=="BM_Secp256k1SignBaseline") | .items_per_second' "$out")"
ethers_rate="$(jq '.per_second' <<<"$ethers")"
same="no"
[[ "$(jq -r '.context.first_raw' "$out")" == "$(jq -r '.first_raw' <<<"$ethers")" ]] && same="yes"

awk -v f="$framework_rate" -v s="$secp_rate" -v e="$ethers_rate" -v same="$same" 'BEGIN {
  printf "signed EIP-1559 transfers per second, one core (CPU 0)\n"
  printf "  framework (build+sign+encode) : %10.0f /s\n", f
  printf "  ethers 6 in Node (same txs)   : %10.0f /s   framework/ethers = %.1fx (acceptance >= 15x)\n", e, f / e
  printf "  bare libsecp256k1 sign (hash) : %10.0f /s   framework/secp256k1 = %.2fx (acceptance >= 0.8x)\n", s, f / s
  printf "  ethers signed the same bytes  : %s\n", same
}'
