#!/usr/bin/env bash
# Baseline for L1Devnet local cold start: the same bnet-devnet command started by a shell,
# ready when anvil answers block >= 1 and the beacon stand-in's head slot is >= 1 (what
# L1Devnet::start waits for). Prints the seconds from this script's start to ready.
# Usage: devnet_baseline.sh <bnet-devnet> <anvil> <slot-seconds> <work-dir>
set -euo pipefail
start=$(date +%s.%N)
devnet="$1" anvil="$2" slot="$3" dir="$4"
mkdir -p "$dir"
rm -f "$dir/ports.json"
"$devnet" --anvil "$anvil" --chain-id 1337 --slot-seconds "$slot" --ports-file "$dir/ports.json" \
  --anvil-log "$dir/anvil.log" >"$dir/bnet-devnet.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  if [[ -s "$dir/ports.json" ]]; then
    el=$(jq -r .el_url "$dir/ports.json") beacon=$(jq -r .beacon_url "$dir/ports.json")
    block=$(curl -s -m 2 -H 'Content-Type: application/json' \
      -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' "$el" | jq -r '.result // "0x0"' || echo 0x0)
    slot_now=$(curl -s -m 2 "$beacon/eth/v1/beacon/headers/head" | jq -r '.data.header.message.slot // "0"' || echo 0)
    if (( block > 0 && slot_now >= 1 )); then
      echo "$(date +%s.%N) - $start" | bc
      exit 0
    fi
  fi
  sleep 0.02
done
echo "bnet-devnet not ready after 600 tries; log $dir/bnet-devnet.log" >&2
exit 1
