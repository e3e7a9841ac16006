#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (Python packages, Chromium,
# PostgreSQL's server, nginx, the MNIST dataset), then runs the whole suite, slow tests included,
# in two pytest-xdist workers (many tests wait on a child process or a browser: two workers
# overlap the waits), with the slowest tests listed at the end. Extra arguments go to pytest, e.g.
# `bash scripts/test.sh -m "not slow"` for the quick suite; TEST_WORKERS=0 runs in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
missing=""
[ -x /usr/bin/chromium ] || missing="chromium"  # the browser tests
# The drawings store's tests start a real PostgreSQL server (Debian's package; issue 23).
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || missing="$missing postgresql"
# The test of several processes behind nginx (scripts/serve_many.py runs its own; issue 23).
[ -x /usr/sbin/nginx ] || missing="$missing nginx"
if [ -n "$missing" ]; then
  echo "Installing ${missing# } for the tests ..."
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # nginx-light is the smallest nginx with every module the template uses; a release without
  # it has nginx only.
  if apt-cache show nginx-light > /dev/null 2>&1; then missing="${missing/nginx/nginx-light}"; fi
  # shellcheck disable=SC2086  # one word per package
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing > /dev/null
  # Where systemd runs, Debian starts nginx's own service (a default site on port 80): unused.
  case " $missing " in
    *" nginx"*) $sudo systemctl disable --now nginx > /dev/null 2>&1 || true ;;
  esac
fi
echo "Fetching and verifying MNIST ..."
.venv/bin/python -m mnist_core data
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadgroup --durations=15 "$@"
