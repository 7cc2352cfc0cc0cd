#!/usr/bin/env bash
# Set up (first time) and run the app: http://localhost:8501
#   bash scripts/run_app.sh                       # extra arguments go to `streamlit run`
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
pip_install requirements.txt
# lab.serve is `streamlit run` that also compiles the engine (numba) and draws the default race
# in a background thread as the server starts: the first visitor does not wait for it.
exec "$VENV/bin/python" -m lab.serve app.py "$@"
