#!/usr/bin/env bash
# Prints the directory of the twin image for the current recipe, building it first if the
# cache has none: ${BNET_E2E_CACHE:-~/.cache/bnet-e2e}/twin/<recipe hash>/ (see
# recipe-hash.sh). The build goes to a temporary directory that is renamed into place, under
# a lock, so concurrent callers never see half an image.
# Usage: ensure.sh [--check]    --check: print the directory if built, else exit 3 (no build)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
cache=${BNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bnet-e2e}
twin=$cache/twin
hash=$("$here/recipe-hash.sh")
dir=$twin/$hash
# .last-used is touched on every call: images of old recipes not used for a week are pruned
# after the next build (each is ~270 MB).
if [ -f "$dir/manifest.json" ]; then touch "$dir/.last-used"; echo "$dir"; exit 0; fi
if [ "$check_only" = 1 ]; then
  echo "ensure.sh: twin image $hash is not built (run tools/twin-image/ensure.sh)" >&2
  exit 3
fi
mkdir -p "$twin"
exec 9> "$twin/.lock"
flock -w 3600 9 || { echo "ensure.sh: timed out waiting for another build (lock $twin/.lock)" >&2; exit 1; }
if [ -f "$dir/manifest.json" ]; then touch "$dir/.last-used"; echo "$dir"; exit 0; fi
tmp=$twin/.tmp-$hash-$$
rm -rf "$tmp" "$twin"/.tmp-"$hash"-*
log=$twin/build-$hash.log
echo "ensure.sh: building the twin image $hash (log $log)" >&2
if ! "$here/build.sh" "$tmp" > "$log" 2>&1; then
  echo "ensure.sh: twin image build failed; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  rm -rf "$tmp"
  exit 1
fi
rm -rf "$dir"
mv -T "$tmp" "$dir"
touch "$dir/.last-used"
# Prune images of other recipes unused for 7 days (under the lock, so never one being built).
for old in "$twin"/*/; do
  old=${old%/}
  name=$(basename "$old")
  [ "$name" = "$hash" ] || [ ! -f "$old/manifest.json" ] && continue
  stamp=$old/.last-used
  [ -f "$stamp" ] || stamp=$old/manifest.json
  if [ -n "$(find "$stamp" -mtime +7 2>/dev/null)" ]; then
    echo "ensure.sh: pruning the twin image $name (unused for over 7 days)" >&2
    rm -rf "$old" "$twin/build-$name.log"
  fi
done
echo "ensure.sh: built $dir in $(grep -o '"built_seconds": [0-9]*' "$dir/manifest.json" | grep -o '[0-9]*$')s" >&2
echo "$dir"
