#!/usr/bin/env bash
# Checks the float64 numpy reference of the Keras equations and the conformance cases it wrote:
# check_reference.py (the reference against the seed's Keras printout, scalar re-implementations
# and invariants; every case file recomputed) and generate.py --check (the cases in
# packages/conformance/cases are what the generator makes today, numbers within 1e-9 relative).
#
# Runs Debian's own Python (/usr/bin/python3) with Debian's numpy (python3-numpy), installing it
# when missing (as root, idempotent), so that it needs nothing but a fresh Debian/Ubuntu machine.
# PYTHON=... runs another interpreter that has numpy instead, installing nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-/usr/bin/python3}"
if [[ -z "${PYTHON:-}" ]] && ! "$python" -c 'import numpy' 2>/dev/null; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "check-reference: $python has no numpy; run this script as root to install python3-numpy, or set PYTHON" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt cannot see a candidate.
  if ! apt-cache policy python3-numpy 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update
  fi
  apt-get install -y --no-install-recommends python3 python3-numpy
fi
echo "check-reference: $("$python" -c 'import sys, numpy; print(f"Python {sys.version.split()[0]}, numpy {numpy.__version__}")')"

"$python" packages/conformance/reference/check_reference.py
"$python" packages/conformance/reference/generate.py --check
