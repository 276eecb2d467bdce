#!/usr/bin/env bash
# One shard of the e2e suites, for running them across CI machines (docs/CI.md):
#   BNET_E2E_SHARD=i/n tools/shard.sh [ctest args]
# Shard i (0-based) of n runs every n-th suite test (ctest -I with the test numbers, dealt
# out in ctest's order so shards differ by at most one test) against its own environment:
# the CTest fixture E2eEnvironment.Up/Down brings one up for this shard alone. The shard's
# evidence goes to its own run folder $BNET_E2E_ARTIFACTS/<run>-shard-<i>-of-<n>/ with the
# shard's JUnit file as junit.xml in it; `bnet-e2e merge` joins the shards' folders.
# Exit status: ctest's, else the shard's summary's (bnet-e2e summary: skips fail where the
# environment must run here unless BNET_E2E_ALLOW_SKIPS=1).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
shard=${BNET_E2E_SHARD:?set BNET_E2E_SHARD=i/n (shard i of n, 0-based), e.g. 0/2}
if ! [[ $shard =~ ^([0-9]+)/([0-9]+)$ ]] || (( BASH_REMATCH[2] < 1 || BASH_REMATCH[1] >= BASH_REMATCH[2] )); then
  echo "shard.sh: BNET_E2E_SHARD='$shard' is not i/n with 0 <= i < n" >&2
  exit 2
fi
index=${BASH_REMATCH[1]}
count=${BASH_REMATCH[2]}
build_dir=${BNET_E2E_BUILD_DIR:-$root/build}
"$here/setup.sh" --build-dir "$build_dir"
export BNET_E2E_CACHE=${BNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bnet-e2e}
export BNET_E2E_ARTIFACTS=${BNET_E2E_ARTIFACTS:-$root/artifacts}
run=${BNET_E2E_RUN_ID:-$(date -u +%Y%m%d-%H%M%S)}
export BNET_E2E_RUN_ID="$run-shard-$index-of-$count"
export BNET_E2E_ENV=${BNET_E2E_ENV:-local}
cd "$build_dir"

# The suite tests' positions in ctest's order. With -L, ctest's -I counts positions in the
# labelled list (1-based), not the tests' numbers. The environment's own Up/Down tests are
# not dealt out: ctest adds them to every shard that needs them.
mapfile -t numbers < <(ctest -N -L e2e | sed -n 's/^ *Test *#[0-9][0-9]*: \(.*\)$/\1/p' |
  awk '{ pos++ } $1 !~ /^E2eEnvironment[0-9]*\.(Up|Down)$/ { print pos }')
mine=()
for ((k = index; k < ${#numbers[@]}; k += count)); do mine+=("${numbers[k]}"); done
echo "shard $index/$count: ${#mine[@]} of ${#numbers[@]} suite tests; run folder $BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID"
run_dir="$BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID"
mkdir -p "$run_dir"
status=0
if ((${#mine[@]} == 0)); then
  # More shards than tests: an empty JUnit file, so the merge still finds one per shard.
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="shard-%s" tests="0" failures="0" disabled="0" skipped="0" hostname="" time="0" timestamp=""/>\n' \
    "$index" > "$run_dir/junit.xml"
else
  list=$(IFS=,; echo "${mine[*]}")
  ctest -L e2e -I "0,0,0,$list" --output-on-failure --no-tests=error \
    --output-junit "$run_dir/junit.xml" "$@" || status=$?
  "$here/redact-run.sh" "$build_dir" "$run_dir" || echo "shard $index/$count: redaction failed" >&2
  summary=0
  "$build_dir/bin/bnet-e2e" summary "$run_dir" || summary=$?
  [ "$status" != 0 ] || status=$summary
fi
echo "shard $index/$count: JUnit $run_dir/junit.xml"
exit $status
