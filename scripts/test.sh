#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (Python packages, Chromium,
# PostgreSQL's server, the MNIST dataset), then runs the whole suite, slow tests included, in
# two pytest-xdist workers (many tests wait on a child process or a browser: two workers overlap
# the waits), with the slowest tests listed at the end. Extra arguments go to pytest, e.g.
# `bash scripts/test.sh -m "not slow"` for the quick suite; TEST_WORKERS=0 runs in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
missing=""
[ -x /usr/bin/chromium ] || missing="chromium"  # the browser tests
# The drawings store's tests start a real PostgreSQL server (Debian's package; issue 23).
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
  echo "Installing ${missing# } for the tests ..."
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086  # one word per package
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing > /dev/null
fi
echo "Fetching and verifying MNIST ..."
.venv/bin/python -m mnist_core data
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadgroup --durations=15 "$@"
