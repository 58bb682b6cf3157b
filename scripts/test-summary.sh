#!/usr/bin/env bash
# Reads test output on stdin and prints one closing line over every vitest summary in it,
# e.g. "Tests  12 passed | 1 failed | 2 skipped (15)" → "tests: N passed, N failed, N skipped".
# Skips include vitest's "todo" tests. Colour codes are ignored.
set -euo pipefail
sed 's/\x1b\[[0-9;]*m//g' | awk '/(^| )Tests +[0-9]/ {
  for (i = 1; i < NF; i++) {
    if ($(i+1) ~ /^passed/) p += $i
    if ($(i+1) ~ /^failed/) f += $i
    if ($(i+1) ~ /^(skipped|todo)/) s += $i
  }
} END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }'
