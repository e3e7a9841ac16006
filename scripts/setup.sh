#!/usr/bin/env bash
# Creates .venv (if missing) and installs the given requirements file into it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="${1:-requirements.txt}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment .venv ..."
  "$python" -m venv .venv
fi
echo "Installing $requirements into .venv ..."
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
