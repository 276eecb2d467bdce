#!/usr/bin/env bash
# Runs a build command within $BNET_E2E_BUILD_BUDGET seconds when that is set (.ci/run sets
# it to stay in its time limit). A build that does not finish in time exits 75 (deferred)
# instead of letting the job run anything; ccache keeps every object compiled so far, so the
# next run continues where this one stopped. Without a budget: the command as it is.
#   .ci/budgeted-build.sh NAME COMMAND...
set -uo pipefail
name=${1:?usage: budgeted-build.sh NAME COMMAND...}
shift
[ -n "${BNET_E2E_BUILD_BUDGET:-}" ] || exec "$@"
status=0
timeout --foreground "$BNET_E2E_BUILD_BUDGET" "$@" || status=$?
if [ "$status" = 124 ]; then
  echo "$name: DEFERRED: the build did not finish within its budget of $BNET_E2E_BUILD_BUDGET s" \
       "(ccache keeps what was compiled; the next run continues)"
  exit 75
fi
exit "$status"
