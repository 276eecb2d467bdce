#!/usr/bin/env bash
# Baseline for the twin boot: the same QEMU command line QemuMachine runs (one argument per
# line in <args-file>), started by a shell after `qemu-img create` of the same overlay, timed
# to the first SSH banner line on the forwarded port. Prints the seconds to the banner.
# Usage: twin_boot_baseline.sh <base-image> <base-format> <overlay> <host-port> <args-file>
set -euo pipefail
start=$(date +%s.%N)
base="$1" format="$2" overlay="$3" port="$4" argsfile="$5"
qemu-img create -q -f qcow2 -b "$base" -F "$format" "$overlay"
mapfile -t args <"$argsfile"
qemu-system-x86_64 "${args[@]}" >"$overlay.qemu.log" 2>&1 &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$overlay"' EXIT
for _ in $(seq 1 2400); do
  kill -0 $pid 2>/dev/null || { echo "qemu exited; log $overlay.qemu.log" >&2; exit 1; }
  if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
    if read -r -t 2 -u 3 line && [[ "$line" == SSH-* ]]; then
      exec 3<&-
      echo "$(date +%s.%N) - $start" | bc
      exit 0
    fi
    exec 3<&-
  fi
  sleep 0.1
done
echo "no SSH banner on 127.0.0.1:$port" >&2
exit 1
