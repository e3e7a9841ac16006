"""Serves the app from several Streamlit processes behind nginx, each visitor kept on one.

    bash scripts/serve_many.sh                 # sets up .venv, then runs this
    MNIST_SERVE_PROCESSES=2 MNIST_SERVE_PORT=8501 .venv/bin/python scripts/serve_many.py

Starts `MNIST_SERVE_PROCESSES` `streamlit run streamlit_app.py` processes on free loopback ports,
waits until each answers, writes `deploy/nginx.conf.template` filled in to the run folder
(`MNIST_SERVE_DIR`) and runs nginx in the foreground on `MNIST_SERVE_ADDRESS:MNIST_SERVE_PORT`.
Every process gets this environment, so they share the models folder (`MNIST_MODELS_DIR`: one
training at a time across them, by the folder's lock) and the drawings store
(`MNIST_DRAWINGS_DB`: SQLite in WAL mode, writers wait their turn); `MNIST_CLIENT_HEADER` is set
to `X-Real-IP`, which nginx writes with each visitor's address. Ctrl-C or SIGTERM stops them all,
each with its own children (a training, an upload's check); so does any of them exiting on its
own, with exit status 1, for a supervisor to start the whole again (docs/deploy.md).
"""

import contextlib
import ctypes
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from any folder

from mnist_core import settings  # noqa: E402
from mnist_core.errors import MnistError  # noqa: E402

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
APP = ROOT / "streamlit_app.py"
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
CLIENT_HEADER = "X-Real-IP"
"""The header nginx writes with the visitor's address (the template's `proxy_set_header`)."""
STREAMLIT_UPLOAD_MB = 200
"""Streamlit's own `server.maxUploadSize` when its config file sets none."""
START_SECONDS = 120
STOP_SECONDS = 20
"""How long a process may take to stop before it is killed: a Streamlit process that loaded
TensorFlow took ~7 s to exit on 2 busy cores (load 15)."""
INSTALL_NGINX = ("install Debian's package (`sudo apt-get install nginx-light`, or `nginx` where "
                 "there is no nginx-light) and start this again")


def backend_name(index):
    """The name of process `index` (0-based) in the routing cookie and the logs: b1, b2, ..."""
    return f"b{index + 1}"


def max_upload_mb(config=STREAMLIT_CONFIG):
    """Streamlit's `server.maxUploadSize` in megabytes, as `config` (a config.toml) sets it."""
    try:
        server = tomllib.loads(config.read_text()).get("server", {})
    except FileNotFoundError:
        return STREAMLIT_UPLOAD_MB
    return int(server.get("maxUploadSize", STREAMLIT_UPLOAD_MB))


def nginx_config(template, run_dir, address, port, backend_ports, upload_mb):
    """The template with its fields (`@RUN_DIR@`, ...) filled in.

    Args:
        template: the text of deploy/nginx.conf.template.
        run_dir: absolute folder of nginx's pid, logs and temporary files.
        address: IP address (text) nginx listens on; port: its port.
        backend_ports: the loopback port of each Streamlit process, in order (b1, b2, ...).
        upload_mb: Streamlit's `server.maxUploadSize`; nginx takes 1 MB more, as Streamlit does
            for the form's framing.

    Returns:
        The configuration's text.

    Raises:
        MnistError: the run folder's path has a character nginx would read as syntax, or the
            template a field this function does not know.
    """
    if re.search(r'["\\$\s;{}#]', str(run_dir)):
        raise MnistError(f"The run folder {run_dir} has a space, quote, $, ;, #, braces or "
                         "backslash, which nginx's configuration cannot hold; set MNIST_SERVE_DIR "
                         "to a plainer path.")
    names = [backend_name(i) for i in range(len(backend_ports))]
    servers = [f"127.0.0.1:{port}" for port in backend_ports]
    fields = {
        "RUN_DIR": str(run_dir),
        "LISTEN": f"[{address}]:{port}" if ":" in address else f"{address}:{port}",
        "MAX_BODY_MB": str(upload_mb + 1),
        # max_fails=0: a group of one is never marked down; its visitors' requests keep trying it.
        "BACKEND_UPSTREAMS": "\n".join(
            f"    upstream mnist_{name} {{\n        server {server} max_fails=0;\n"
            f"        keepalive 8;\n    }}" for name, server in zip(names, servers)),
        "NEWCOMER_SERVERS": "\n".join(f"        server {server};" for server in servers)
                            + "\n        keepalive 8;",
        "COOKIE_GROUPS": "\n".join(f"        {name} mnist_{name};" for name in names),
        "ADDRESS_NAMES": "\n".join(f"        {server} {name};"
                                   for name, server in zip(names, servers)),
    }
    unknown = set(re.findall(r"@([A-Z_]+)@", template)) - set(fields)
    if unknown:
        raise MnistError(f"The nginx template has fields this script does not fill in "
                         f"({', '.join(sorted(unknown))}); remove them, or fill them in here.")
    return re.sub(r"@([A-Z_]+)@", lambda match: fields[match.group(1)], template)


def free_port():
    """A loopback port no one listens on now (the process binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_nginx():
    """The nginx program: on PATH, else Debian's /usr/sbin/nginx (not on a user's PATH).

    Raises:
        MnistError: nginx is not installed; the sentence says how to install it.
    """
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK)
                                       else None)
    if not found:
        raise MnistError(f"nginx is not installed: {INSTALL_NGINX}.")
    return found


def early_error_log(nginx, path):
    """`["-e", path]` where nginx takes it (1.19.5 on; Debian 12 has 1.22), else `[]`: errors
    met before the configuration is read then go to the run folder, not to a system path
    (nginx's compiled-in one) that only root may write."""
    answer = subprocess.run([nginx, "-v"], capture_output=True, text=True, timeout=30)
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", answer.stderr + answer.stdout)
    return ["-e", str(path)] if found and tuple(map(int, found.groups())) >= (1, 19, 5) else []


def _die_with_this_script():
    """In a child, before it runs: its own process group, so that stopping it reaches its own
    children too; and SIGTERM when this script dies, even by SIGKILL, so nothing is orphaned."""
    os.setsid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def spare_env(env, index):
    """The environment of process `index`: only the first keeps a training process ready.

    One training runs at a time across the processes (the models folder's lock), so one spare
    serves them all; a spare in each would hold ~1 GB per process for nothing. A visitor on
    another process waits for a training's setup as with `MNIST_TRAINING_SPARE=0`.
    """
    return env if index == 0 else {**env, "MNIST_TRAINING_SPARE": "0"}


def start(command, log_path, env=None):
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, preexec_fn=_die_with_this_script)


def tail(path, lines=20):
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    return ""


def wait_until_answering(url, process, log_path, deadline, stopping):
    """Polls `url`/_stcore/health until it answers ok, or `stopping` is set.

    Raises:
        MnistError: the process exited, or did not answer before `deadline` (time.monotonic()).
    """
    while time.monotonic() < deadline and not stopping.is_set():
        if process.poll() is not None:
            raise MnistError(f"{' '.join(process.args[:4])} exited with status "
                             f"{process.returncode}; its log {log_path} ends:\n{tail(log_path)}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        time.sleep(0.1)
    if stopping.is_set():
        return
    raise MnistError(f"{url} did not answer within {START_SECONDS} s; its log {log_path} ends:\n"
                     f"{tail(log_path)}")


def stop(processes):
    """SIGTERM to each process's group, SIGKILL to what is left after `STOP_SECONDS`."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):  # its children, or itself if it hung
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_folder():
    path = settings.get("MNIST_SERVE_DIR")
    return (Path(path) if path else ROOT / "runs" / "serve").resolve()


def serve(stopping):
    """Starts everything, serves until `stopping` is set or a process exits; stops everything.

    Returns:
        0 when stopped by `stopping`, 1 when a process exited on its own.
    """
    count = settings.get("MNIST_SERVE_PROCESSES")
    address, port = settings.get("MNIST_SERVE_ADDRESS"), settings.get("MNIST_SERVE_PORT")
    nginx = find_nginx()
    run_dir = run_folder()
    for folder in ("temp/client_body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
        (run_dir / folder).mkdir(parents=True, exist_ok=True)
    lock = open(run_dir / "serve.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise MnistError(f"Another scripts/serve_many.py is serving from {run_dir}; stop it, or "
                         "set MNIST_SERVE_DIR to another folder.") from None
    told = os.environ.get("MNIST_CLIENT_HEADER")
    if told and told != CLIENT_HEADER:
        print(f"MNIST_CLIENT_HEADER={told} replaced by {CLIENT_HEADER}, the header nginx writes.")
    env = {**os.environ, "MNIST_CLIENT_HEADER": CLIENT_HEADER}
    ports = [free_port() for _ in range(count)]
    processes, names = [], {}
    try:
        for index, backend_port in enumerate(ports):
            log_path = run_dir / f"streamlit-{backend_name(index)}.log"
            # No file watcher: a deploy restarts to take new code, and polling the app's files
            # (its configured watcher) delayed each process's exit by ~5 s.
            process = start([sys.executable, "-m", "streamlit", "run", str(APP),
                             "--server.port", str(backend_port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--server.fileWatcherType", "none"],
                            log_path, spare_env(env, index))
            processes.append(process)
            names[process.pid] = (backend_name(index), log_path)
        deadline = time.monotonic() + START_SECONDS
        for process, backend_port in zip(processes, ports):
            wait_until_answering(f"http://127.0.0.1:{backend_port}", process,
                                 names[process.pid][1], deadline, stopping)
        config = run_dir / "nginx.conf"
        config.write_text(nginx_config(TEMPLATE.read_text(), run_dir, address, port, ports,
                                       max_upload_mb()))
        error_log = run_dir / "nginx-error.log"
        proxy = start([nginx, "-p", str(run_dir), "-c", str(config),
                       *early_error_log(nginx, error_log)], error_log)
        processes.append(proxy)
        names[proxy.pid] = ("nginx", error_log)
        local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)
        url = f"http://[{local}]:{port}" if ":" in local else f"http://{local}:{port}"
        wait_until_answering(url, proxy, error_log, time.monotonic() + START_SECONDS, stopping)
        if stopping.is_set():
            return 0
        print(f"Serving on {url} from {count} Streamlit process{'es' if count > 1 else ''} "
              f"behind nginx; logs in {run_dir} (Ctrl-C stops them all).", flush=True)
        while not stopping.wait(0.5):
            for process in processes:
                if process.poll() is not None:
                    name, log_path = names[process.pid]
                    print(f"{name} exited with status {process.returncode}; stopping the others."
                          f" Its log {log_path} ends:\n{tail(log_path)}", file=sys.stderr)
                    return 1
        return 0
    finally:
        stop(processes)
        lock.close()


def main():
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        status = serve(stopping)
    except MnistError as error:
        print(error, file=sys.stderr)
        status = 2
    print("Stopped.", flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
