#!/usr/bin/env bash
# Set up (first time) and run the app: http://localhost:8501
#   bash scripts/run_app.sh                       # extra arguments go to `streamlit run`
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
pip_install requirements.txt
echo "== compiling the engine once (a few seconds on first use)"
"$VENV/bin/python" -c "from optimizers import run; run('ellipse', ['adam'], steps=2)"
exec "$VENV/bin/python" -m streamlit run app.py "$@"
