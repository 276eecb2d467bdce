#!/usr/bin/env bash
# The run's redaction, for what is written after the test processes ended or left by one
# that was killed (issue 15, secrets on every path): ctest's JUnit file, ctest's own logs
# (<build>/Testing/Temporary) and the run folder. Masks the environment's secrets and each
# testbed's: its state file in <build>/e2e-state, or the redaction file `bnet-e2e down` left
# beside it (removed here). Prints counts, never a value.
#   tools/redact-run.sh BUILD_DIR PATH...
build_dir=${1:?usage: redact-run.sh BUILD_DIR PATH...}
shift
states=()
for f in "$build_dir"/e2e-state/*.json "$build_dir"/e2e-state/*.json.redact; do
  [ -e "$f" ] && states+=(--state "${f%.redact}")
done
paths=()
for p in "$@" "$build_dir/Testing/Temporary"; do
  [ -e "$p" ] && [ "$p" != / ] && paths+=("$p")
done
[ ${#paths[@]} -gt 0 ] || exit 0
exec "$build_dir/bin/bnet-e2e" redact --forget "${states[@]}" "${paths[@]}"
