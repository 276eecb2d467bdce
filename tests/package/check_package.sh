#!/usr/bin/env bash
# Usage: check_package.sh BUILD_DIR CONSUMER_SRC
set -euo pipefail
build_dir=$1
consumer=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/bnet-e2e-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$consumer" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" >/dev/null
cmake --build "$work/build" >/dev/null
cd "$work/build"
out=$(ctest -L e2e --no-tests=error 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -3
echo "$out" | grep -q "100% tests passed" || { echo "consumer tests did not all pass"; exit 1; }
