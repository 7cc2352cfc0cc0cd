#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run all of it:
# a virtual environment with the requirements, Debian's Chromium for the browser tests,
# ruff, and pytest (engine, pages in AppTest, and the real-browser tests).
#   bash scripts/test.sh                           # the whole suite (what CI runs)
#   bash scripts/test.sh -m "not browser" -x       # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
pip_install requirements-dev.txt

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium (for the browser tests)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

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
