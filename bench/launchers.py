"""Where bench/visitors.py --protocol finds the app: a server it starts, or one already running.

A launcher is a context manager that yields a `Served`: the base URL the visitors open and the
server process ids whose CPU and memory (with their children: trainings, upload checks) are
measured. Another deploy (several processes behind a reverse proxy) plugs in as one more
entry of `LAUNCHERS` yielding the proxy's URL and every server's pid.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cpu_share import pinned
from footprint import process_tree

from tests.browser_kit import ServerError, free_port, start_server, stop_server, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Served:
    """The app as the visitors reach it: `url`, and the `pids` of its server processes."""

    url: str
    pids: list


def bench_env(folder):
    """The settings of a bench server: a private models/ copy and drawings file, and the
    per-training limits lifted so that a bench's training outlasts its window."""
    models = folder / "models"
    if not models.exists():
        shutil.copytree(ROOT / "models", models)
    return {"MNIST_MODELS_DIR": str(models), "MNIST_DRAWINGS_DB": str(folder / "drawings.sqlite"),
            "MNIST_MAX_TRAIN_IMAGE_EPOCHS": str(10 ** 9), "MNIST_MAX_TRAIN_MINUTES": "600"}


@contextlib.contextmanager
def streamlit_server(folder, port=0, cpus=None, env=None):
    """One `streamlit run streamlit_app.py` on 127.0.0.1, its log in `folder`/streamlit.log.

    Args:
        folder: a private folder (models/ is copied there, see `bench_env`).
        port: 0 for a free one.
        cpus: cores for the server and its children (a set, as `cpu_share.parse_cpus`).
        env: more settings, over `bench_env`'s.

    Yields:
        `Served` with the server's pid. On exit, the server stops and any child it left (a
        training) is killed, by its own id.
    """
    port = port or free_port()
    log = folder / "streamlit.log"
    with pinned(cpus):
        server = start_server("streamlit_app.py", ROOT, port, log,
                              env={**bench_env(folder), **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server, log)
        yield Served(url, [server.pid])
    finally:
        children = set(process_tree(server.pid)) - {server.pid}
        stop_server(server)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)


@contextlib.contextmanager
def running_server(url, pids):
    """A server started elsewhere (`--url`, `--server-pids`): measured, never stopped."""
    yield Served(url.rstrip("/"), list(pids))


def _children(pid):
    """The processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@contextlib.contextmanager
def nginx_processes(folder, port=0, cpus=None, env=None):
    """scripts/serve_many.py: `MNIST_SERVE_PROCESSES` (its default: 2) Streamlit processes
    behind nginx on 127.0.0.1:`port`, its run folder and log in `folder`.

    Yields:
        `Served` with nginx's URL and the pids of nginx and of each Streamlit process (the
        proxy's CPU counts as the server's). On exit, the script is stopped as Ctrl-C stops
        it, which stops every process it started.
    """
    port = port or free_port()
    log = folder / "serve_many.log"
    settings = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **bench_env(folder),
                "MNIST_SERVE_ADDRESS": "127.0.0.1", "MNIST_SERVE_PORT": str(port),
                "MNIST_SERVE_DIR": str(folder / "serve"), **(env or {})}
    with pinned(cpus), open(log, "wb") as output:
        script = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve_many.py")],
                                  env=settings, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while "Serving on" not in log.read_text():
            if script.poll() is not None or time.monotonic() > deadline:
                raise ServerError(f"serve_many.py did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield Served(f"http://127.0.0.1:{port}", _children(script.pid))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(script.pid, signal.SIGINT)
        try:
            script.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(script.pid, signal.SIGKILL)  # its children follow (PR_SET_PDEATHSIG)
            script.wait()


LAUNCHERS = {"streamlit": streamlit_server, "nginx": nginx_processes}
"""`--launcher` names: each a context manager `(folder, port, cpus)` yielding a `Served`."""

__all__ = ["LAUNCHERS", "Served", "ServerError", "bench_env", "nginx_processes",
           "running_server", "streamlit_server"]
