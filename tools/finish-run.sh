#!/usr/bin/env bash
# The end of a run (self-test.sh, main-job.sh): the redaction of ctest's JUnit file and the
# run folder (tools/redact-run.sh), the JUnit file kept in the run folder as junit.xml, the
# run's summary (bnet-e2e summary: the GoogleTest results each test process wrote into the
# run folder's gtest/, with ctest's file) and its report (bnet-e2e report).
#   tools/finish-run.sh BUILD_DIR JUNIT_XML WHO
# Uses $BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID as the run folder. Exit status: the summary's,
# non-zero on a failed test, and on a skipped one when the environment must run here
# (local) unless BNET_E2E_ALLOW_SKIPS=1.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${1:?usage: finish-run.sh BUILD_DIR JUNIT_XML WHO}
junit=${2:?usage: finish-run.sh BUILD_DIR JUNIT_XML WHO}
who=${3:-run}
# Redaction first: the JUnit file and the run folder with its gtest/ (tools/redact-run.sh).
"$here/redact-run.sh" "$build_dir" "$junit" "$BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID" || echo "$who: redaction failed" >&2
run_dir=$BNET_E2E_ARTIFACTS/$BNET_E2E_RUN_ID
mkdir -p "$run_dir"
[ -f "$junit" ] && cp "$junit" "$run_dir/junit.xml"
status=0
"$build_dir/bin/bnet-e2e" summary "$run_dir" || status=$?
"$build_dir/bin/bnet-e2e" report "$run_dir" || echo "$who: the report could not be made" >&2
exit $status
