#!/usr/bin/env bash
# The long runs of the hardening, fuzz and reliability tests (docs/reliability.md): more race
# rounds, more fuzz examples, and the hostile files at full size with their time and peak memory.
# Run from a checkout with the test dependencies installed: bash tests/stress.sh
set -euo pipefail
cd "$(dirname "$0")/.."
JKSTOOL_RACE_ROUNDS="${JKSTOOL_RACE_ROUNDS:-25}" JKSTOOL_FUZZ_EXAMPLES="${JKSTOOL_FUZZ_EXAMPLES:-5000}" \
  python -m pytest -q tests/test_hardening.py tests/test_fuzz.py tests/test_reliability.py
python tests/hostile.py --scale "${HOSTILE_SCALE:-6}"
