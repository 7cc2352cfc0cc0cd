#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run all of it.
#   bash scripts/test.sh            # the whole suite (what CI runs)
#   bash scripts/test.sh -m "not slow" tests/test_runner.py   # extra args go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
pip_install requirements-dev.txt

echo "== ruff"
"$VENV/bin/ruff" check .
echo "== pytest"
set +e
"$VENV/bin/python" -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$rc"
