#!/usr/bin/env bash
# The main job: the e2e suites against the local environment, with a summary and a report.
# Installs what is missing, builds, runs `ctest -L e2e`. Extra arguments go to ctest.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=${BNET_E2E_BUILD_DIR:-$root/build}
"$here/setup.sh" --build-dir "$build_dir" || {
  echo "main job: FAILED: tools/setup.sh failed (its reason above)" >&2
  exit 1
}
export BNET_E2E_CACHE=${BNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bnet-e2e}
export BNET_E2E_ARTIFACTS=${BNET_E2E_ARTIFACTS:-$root/artifacts}
# One run folder for every test process of this ctest run.
export BNET_E2E_RUN_ID=${BNET_E2E_RUN_ID:-$(date -u +%Y%m%d-%H%M%S)}
export BNET_E2E_ENV=${BNET_E2E_ENV:-local}
cd "$build_dir"
status=0
# The suites share one environment: E2eEnvironment.Up brings it up first (bnet-e2e up),
# E2eEnvironment.Down takes it down last, even when tests fail.
ctest -L e2e --output-on-failure --no-tests=error \
  --output-junit "$build_dir/e2e-junit.xml" "$@" || status=$?
# The summary; the run folder keeps its own results and its report.
summary=0
"$here/finish-run.sh" "$build_dir" "$build_dir/e2e-junit.xml" "main job" || summary=$?
run_dir=$BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID
echo "main job: environment $BNET_E2E_ENV"
echo "  JUnit:     $run_dir/junit.xml"
echo "  artifacts: $run_dir/"
echo "  report:    $run_dir/report.html"
# ctest passes a run whose tests skipped; the summary does not (in an environment that must
# run here, unless BNET_E2E_ALLOW_SKIPS=1).
[ "$status" != 0 ] || status=$summary
[ "$status" = 0 ] || echo "main job: FAILED (exit $status): see the summary above" >&2
exit $status
