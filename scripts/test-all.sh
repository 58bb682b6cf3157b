#!/usr/bin/env bash
# Every check CI runs, from a fresh clone: system packages, install, build, format, lint,
# types, all tests, the benchmark's quick smoke run (no timing assertions), and the consumer
# test: the packed packages installed with npm into empty projects, as a user gets them.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1

step() { printf '\n=== %s\n' "$*"; }

step "system packages (WebGPU software driver, Chromium for browser tests)"
bash scripts/install-webgpu-deps.sh --browser

step "install"
command -v pnpm >/dev/null || npm i -g pnpm@10.34.9
pnpm install --frozen-lockfile

step "build"
pnpm build

step "format"
pnpm format:check

step "lint"
pnpm lint

step "types"
pnpm typecheck

step "tests"
log="$(mktemp)"
pnpm test 2>&1 | tee "$log"
# One closing line over every package's vitest summary ("Tests  N passed | M failed").
summary="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/ Tests +[0-9]/ {
  for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
} END { printf "tests: %d passed, %d failed", p, f }')"
rm -f "$log"

step "benchmark smoke run"
pnpm bench --quick

step "consumer test (packed packages installed with npm outside the workspace)"
bash scripts/consumer-test.sh

echo
echo "$summary"
