#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (Python packages, Chromium, nginx,
# the MNIST dataset), then runs the whole suite, slow tests included, in two pytest-xdist workers
# (many tests wait on a child process or a browser: two workers overlap the waits), with the
# slowest tests listed at the end. Extra arguments go to pytest, e.g.
# `bash scripts/test.sh -m "not slow"` for the quick suite; TEST_WORKERS=0 runs in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium for the browser tests ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium > /dev/null
fi
if [ ! -x /usr/sbin/nginx ]; then
  # For the test of several processes behind nginx (scripts/serve_many.py, which runs its own
  # nginx): nginx-light, or nginx on a release without it. Debian starts the package's own
  # service (a default site on port 80) where systemd runs; the tests do not want it.
  echo "Installing nginx for the test of several processes behind it ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx-light > /dev/null \
    || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx > /dev/null
  $sudo systemctl disable --now nginx > /dev/null 2>&1 || true
fi
echo "Fetching and verifying MNIST ..."
.venv/bin/python -m mnist_core data
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadgroup --durations=15 "$@"
