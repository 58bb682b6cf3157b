#!/usr/bin/env bash
# Every check CI runs, from a fresh clone: system packages, install, build, format, lint,
# types, the float64 reference, all tests, the benchmark's quick smoke run (no timing
# assertions), and the consumer test: the packed packages installed with npm into empty
# projects, as a user gets them.
set -euo pipefail
cd "$(dirname "$0")/.."
# This script installs every backend's system packages, so by default it runs as CI does:
# tests that would skip without an optional backend or shared file fail instead, and any skip
# left fails the run (CI=false turns both off).
export CI="${CI:-true}"
in_ci=true
case "${CI,,}" in "" | 0 | false) in_ci=false ;; esac
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

step "float64 reference (Debian's python3-numpy)"
bash scripts/check-reference.sh

step "tests"
log="$(mktemp)"
tests_rc=0
pnpm test 2>&1 | tee "$log" || tests_rc=$?
summary="$(bash scripts/test-summary.sh <"$log")"
rm -f "$log"

bench_rc=0
consumer_rc=0
if [[ $tests_rc -eq 0 ]]; then
  step "benchmark smoke run"
  pnpm bench --quick || bench_rc=$?
  step "consumer test (packed packages installed with npm outside the workspace)"
  bash scripts/consumer-test.sh || consumer_rc=$?
fi

echo
echo "$summary"
if [[ $tests_rc -ne 0 ]]; then
  echo "test-all: the tests failed (exit $tests_rc)" >&2
  exit 1
fi
if [[ "$summary" == "tests: 0 passed,"* ]]; then
  echo "test-all: no test ran" >&2
  exit 1
fi
if [[ $in_ci == true && "$summary" != *", 0 skipped" ]]; then
  echo "test-all: tests were skipped on CI, where every backend and file is installed" >&2
  exit 1
fi
if [[ $bench_rc -ne 0 ]]; then
  echo "test-all: the benchmark smoke run failed (exit $bench_rc)" >&2
  exit 1
fi
if [[ $consumer_rc -ne 0 ]]; then
  echo "test-all: the consumer test failed (exit $consumer_rc)" >&2
  exit 1
fi
