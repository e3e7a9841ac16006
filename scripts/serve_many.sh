#!/usr/bin/env bash
# Serves the app from several Streamlit processes behind nginx, each visitor kept on one
# (docs/deploy.md): sets up .venv, then runs scripts/serve_many.py, which stops everything on
# Ctrl-C or SIGTERM. nginx must be installed; where it is not, this says how to install it.
# Settings: MNIST_SERVE_PROCESSES (2), MNIST_SERVE_ADDRESS (0.0.0.0), MNIST_SERVE_PORT (8501),
# MNIST_SERVE_DIR (runs/serve/), and every MNIST_* setting of the app (docs/settings.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/python scripts/serve_many.py "$@"
