#!/usr/bin/env bash
# The project's own tests (labels unit and integration): installs what is missing,
# builds, runs. Extra arguments go to ctest (e.g. -R Http).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=${BNET_E2E_BUILD_DIR:-$root/build}
"$here/setup.sh" --build-dir "$build_dir" || {
  echo "self-test: FAILED: tools/setup.sh failed (its reason above)" >&2
  exit 1
}
export BNET_E2E_CACHE=${BNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bnet-e2e}
export BNET_E2E_ARTIFACTS=${BNET_E2E_ARTIFACTS:-$root/artifacts}
# One run folder for every test process of this ctest run.
export BNET_E2E_RUN_ID=${BNET_E2E_RUN_ID:-$(date -u +%Y%m%d-%H%M%S)}
cd "$build_dir"
status=0
ctest -L 'unit|integration' -j"$(nproc)" --output-on-failure --no-tests=error \
  --output-junit "$build_dir/self-test-junit.xml" "$@" || status=$?
summary=0
"$here/finish-run.sh" "$build_dir" "$build_dir/self-test-junit.xml" self-test || summary=$?
# ctest passes a run whose tests skipped; the summary does not (in an environment that must
# run here, unless BNET_E2E_ALLOW_SKIPS=1).
[ "$status" != 0 ] || status=$summary
exit $status
