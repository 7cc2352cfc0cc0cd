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

MISSING=""
[ -x /usr/bin/chromium ] || MISSING+=" chromium fonts-noto-cjk"  # the browser tests
[ -x /usr/sbin/nginx ] || MISSING+=" nginx"  # tests/test_hosting_security.py: nginx in front
# tests/conftest.py starts a throwaway PostgreSQL server (initdb, pg_ctl) for the class tests
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || MISSING+=" postgresql"
if [ -n "$MISSING" ]; then
  echo "== installing Debian's$MISSING"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086  # one package name per word
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $MISSING >/dev/null
fi

echo "== ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
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
