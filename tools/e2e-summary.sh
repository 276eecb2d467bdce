#!/usr/bin/env bash
# Prints a run's summary from ctest's JUnit file: passed / failed / skipped counts, each
# failed test, and each skipped test with the reason it gave (GTEST_SKIP's message).
# Usage: tools/e2e-summary.sh JUNIT_XML
set -euo pipefail
junit=${1:?usage: e2e-summary.sh JUNIT_XML}
[ -f "$junit" ] || { echo "summary: no JUnit file $junit" >&2; exit 2; }
awk '
  /<testcase / {
    match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
    match($0, /status="[^"]*"/); status = substr($0, RSTART + 8, RLENGTH - 9)
    skipped = 0; reason = ""; want_reason = 0
    next
  }
  /\[  SKIPPED \]/ { skipped = 1 }
  want_reason && reason == "" && $0 != "" { reason = $0; want_reason = 0 }
  /: Skipped$/ { want_reason = 1 }
  /<\/testcase>/ {
    if (status == "fail") { failed[++nf] = name }
    else if (skipped || status == "notrun" || status == "disabled") { skip[++ns] = name; why[ns] = reason }
    else { np++ }
  }
  END {
    printf "summary: %d passed, %d failed, %d skipped\n", np, nf, ns
    for (i = 1; i <= nf; i++) printf "  FAILED  %s\n", failed[i]
    for (i = 1; i <= ns; i++) printf "  SKIPPED %s: %s\n", skip[i], (why[i] == "" ? "(no reason given)" : why[i])
  }
' "$junit" | sed 's/&quot;/"/g; s/&apos;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g'
