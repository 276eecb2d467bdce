#!/usr/bin/env bash
# Joins the run folders of the shards of one run (tools/shard.sh) into one run folder:
#   tools/merge-shards.sh OUT_RUN_DIR SHARD_RUN_DIR...
# Each shard's test folders are copied into OUT_RUN_DIR (a test runs in one shard only, so
# their names do not clash); folders every shard has (_global, testbed) are kept apart as
# <name>.<shard folder>. The shards' junit.xml files become one OUT_RUN_DIR/junit.xml: one
# <testsuite> with every <testcase> and the counts and times summed, the shape ctest writes
# (what `bnet-e2e report RUN_DIR` reads). A shard without junit.xml (it died) fails the merge
# after copying what there is, naming the shard.
set -euo pipefail
if (($# < 2)); then
  echo "usage: merge-shards.sh OUT_RUN_DIR SHARD_RUN_DIR..." >&2
  exit 2
fi
out=$1
shift
mkdir -p "$out"
if [ -e "$out/junit.xml" ]; then
  echo "merge-shards.sh: $out/junit.xml exists; merge into a new folder" >&2
  exit 2
fi
missing=()
junits=()
for shard in "$@"; do
  if [ ! -d "$shard" ]; then
    echo "merge-shards.sh: $shard is not a folder" >&2
    exit 2
  fi
  tag=$(basename "$shard")
  for entry in "$shard"/* "$shard"/.[!.]*; do
    [ -e "$entry" ] || continue
    name=$(basename "$entry")
    [ "$name" = junit.xml ] && continue
    if [ -e "$out/$name" ]; then
      cp -a "$entry" "$out/$name.$tag"
    else
      cp -a "$entry" "$out/$name"
    fi
  done
  if [ -f "$shard/junit.xml" ]; then
    junits+=("$shard/junit.xml")
  else
    missing+=("$shard")
  fi
done
python3 - "$out/junit.xml" "${junits[@]}" <<'PY'
import sys
import xml.etree.ElementTree as ET

out, files = sys.argv[1], sys.argv[2:]
merged = ET.Element("testsuite", {"name": "e2e"})
totals = {"tests": 0, "failures": 0, "errors": 0, "disabled": 0, "skipped": 0}
time = 0.0
for path in files:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        for key in totals:
            totals[key] += int(float(suite.get(key, "0") or 0))
        time += float(suite.get("time", "0") or 0)
        for case in suite.findall("testcase"):
            merged.append(case)
for key, value in totals.items():
    merged.set(key, str(value))
merged.set("time", f"{time:.3f}")
merged.set("shards", str(len(files)))
# One element per line, as ctest writes it (tools/e2e-summary.sh reads lines).
ET.indent(merged, space="\t")
ET.ElementTree(merged).write(out, encoding="UTF-8", xml_declaration=True)
print(f"merged {len(files)} JUnit file(s): {totals['tests']} tests, {totals['failures']} failed, "
      f"{totals['skipped']} skipped -> {out}")
PY
if ((${#missing[@]} > 0)); then
  echo "merge-shards.sh: no junit.xml in: ${missing[*]} (the shard did not finish)" >&2
  exit 1
fi
