#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (Python packages, Chromium, the
# MNIST dataset), then runs the whole suite, slow tests included. Extra arguments go to pytest,
# e.g. `bash scripts/test.sh -m "not slow"` for the quick suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium for the browser tests ..."
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium > /dev/null
fi
echo "Fetching and verifying MNIST ..."
.venv/bin/python -m mnist_core data
exec .venv/bin/python -m pytest "$@"
