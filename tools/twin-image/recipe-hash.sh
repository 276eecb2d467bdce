#!/usr/bin/env bash
# Prints the twin image recipe hash: sha256 over every file of tools/twin-image/ (relative
# path, executable bit and content), so any change to the recipe selects a new cache directory.
# Documentation (*.md) is left out: it is not part of the image.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
find . -type f ! -name '*.swp' ! -name '*.md' -print0 | LC_ALL=C sort -z |
  while IFS= read -r -d '' f; do
    printf '%s %s %s\n' "$f" "$([ -x "$f" ] && echo x || echo -)" "$(sha256sum < "$f" | cut -d' ' -f1)"
  done | sha256sum | cut -d' ' -f1
