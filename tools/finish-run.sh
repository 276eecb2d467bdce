#!/usr/bin/env bash
# The end of a run (self-test.sh, main-job.sh): the summary of its JUnit file, which the run
# folder then keeps as junit.xml, and the run's report (bnet-e2e report; its README).
#   tools/finish-run.sh BUILD_DIR JUNIT_XML WHO
# Uses $BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID as the run folder. Never fails the run: the
# caller's exit status is ctest's.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${1:?usage: finish-run.sh BUILD_DIR JUNIT_XML WHO}
junit=${2:?usage: finish-run.sh BUILD_DIR JUNIT_XML WHO}
who=${3:-run}
# Redaction first: the JUnit file and the run folder (tools/redact-run.sh).
"$here/redact-run.sh" "$build_dir" "$junit" "$BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID" || echo "$who: redaction failed" >&2
"$here/e2e-summary.sh" "$junit" || true
run_dir=$BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID
mkdir -p "$run_dir"
[ -f "$junit" ] && cp "$junit" "$run_dir/junit.xml"
"$build_dir/bin/bnet-e2e" report "$run_dir" || echo "$who: the report could not be made" >&2
exit 0
