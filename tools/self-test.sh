#!/usr/bin/env bash
# The project's own tests (labels unit and integration): installs what is missing,
# builds, runs. Extra arguments go to ctest (e.g. -R Http).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=${BNET_E2E_BUILD_DIR:-$root/build}
"$here/setup.sh" --build-dir "$build_dir"
export BNET_E2E_CACHE=${BNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bnet-e2e}
export BNET_E2E_ARTIFACTS=${BNET_E2E_ARTIFACTS:-$root/artifacts}
# One run folder for every test process of this ctest run.
export BNET_E2E_RUN_ID=${BNET_E2E_RUN_ID:-$(date -u +%Y%m%d-%H%M%S)}
cd "$build_dir"
status=0
ctest -L 'unit|integration' -j"$(nproc)" --output-on-failure --no-tests=error \
  --output-junit "$build_dir/self-test-junit.xml" "$@" || status=$?
"$here/finish-run.sh" "$build_dir" "$build_dir/self-test-junit.xml" self-test
exit $status
