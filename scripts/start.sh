#!/usr/bin/env bash
# Sets up the app (first run only takes long) and starts it on http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
echo "Starting the app: open http://localhost:8501 (Ctrl-C stops it)."
exec .venv/bin/python -m streamlit run streamlit_app.py "$@"
