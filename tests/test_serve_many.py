"""Several Streamlit processes behind nginx (scripts/serve_many.py, deploy/nginx.conf.template):
each visitor kept on one process, every process on the same models folder and drawings store,
each visitor counted by their own address, and nothing left running once the script stops.

The slow tests share one run of the script (two processes behind a real nginx, on a port and
folders of their own), started for the module; the last one stops it. Visitors speak
Streamlit's own websocket protocol (tests/stream_client), through the proxy.
"""

import asyncio
import contextlib
import contextvars
import dataclasses
import fcntl
import hashlib
import hmac
import http.cookiejar
import importlib.util
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from mnist_core.drawings.store import CLIENT_HEX
from mnist_core.errors import MnistError
from tests.conftest import ROOT
from tests.stream_client import visitor as visitor_module
from tests.stream_client.page import Page, Widget

# One pytest-xdist worker runs them all (`--dist loadgroup`), so one script serves them all, and
# the test that stops it runs last.
pytestmark = pytest.mark.xdist_group("serve_many")

SCRIPT = ROOT / "scripts" / "serve_many.py"
START_SECONDS = 120
COOKIE = "mnist_backend"


def load_script():
    spec = importlib.util.spec_from_file_location("serve_many", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


serve_many = load_script()


def config(ports=(1111, 2222), upload_mb=25, run_dir="/srv/run"):
    return serve_many.nginx_config(serve_many.TEMPLATE.read_text(), Path(run_dir), "127.0.0.1",
                                   8501, list(ports), upload_mb)


def block(text, opening):
    """The lines inside the `{ }` block that starts with `opening`, stripped, comments left out."""
    start = text.index(opening + " {")
    body = text[text.index("{", start) + 1: text.index("}", start)]
    return [line.strip() for line in body.splitlines()
            if line.strip() and not line.strip().startswith("#")]


# ---- The configuration (quick) ---------------------------------------------------------------

def test_the_routing_cookie_can_name_only_this_runs_processes():
    text = config()
    assert block(text, "map $cookie_mnist_backend $mnist_group") == [
        "default mnist_newcomers;", "b1 mnist_b1;", "b2 mnist_b2;"]
    assert block(text, "upstream mnist_b1") == ["server 127.0.0.1:1111 max_fails=0;",
                                                "keepalive 8;"]
    assert block(text, "upstream mnist_b2")[0] == "server 127.0.0.1:2222 max_fails=0;"
    assert block(text, "upstream mnist_newcomers")[:2] == ["server 127.0.0.1:1111;",
                                                          "server 127.0.0.1:2222;"]
    assert "proxy_pass http://$mnist_group;" in text


def test_the_proxy_writes_the_visitors_address_over_what_the_visitor_sent():
    text = config()
    assert "proxy_set_header X-Real-IP $remote_addr;" in text
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert serve_many.CLIENT_HEADER == "X-Real-IP"


def test_the_proxy_refuses_an_upload_streamlit_would_refuse(tmp_path):
    streamlit_config = tmp_path / "config.toml"
    streamlit_config.write_text("[server]\nmaxUploadSize = 7\n")
    assert serve_many.max_upload_mb(streamlit_config) == 7
    assert "client_max_body_size 8m;" in config(upload_mb=7)
    assert serve_many.max_upload_mb() == 25  # the shipped .streamlit/config.toml
    assert serve_many.max_upload_mb(tmp_path / "none.toml") == serve_many.STREAMLIT_UPLOAD_MB


def test_every_field_of_the_template_is_filled_in():
    text = config(ports=(1, 2, 3))
    assert not re.search(r"@[A-Z_]+@", text)
    assert "pid /srv/run/nginx.pid;" in text and "listen 127.0.0.1:8501;" in text
    assert "b3 mnist_b3;" in text


def test_refuses_a_run_folder_nginx_cannot_hold():
    with pytest.raises(MnistError, match="MNIST_SERVE_DIR"):
        config(run_dir="/srv/my run")


def test_listens_on_an_ipv6_address_in_brackets():
    text = serve_many.nginx_config(serve_many.TEMPLATE.read_text(), Path("/r"), "::", 80, [1], 1)
    assert "listen [::]:80;" in text


def test_without_nginx_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(serve_many.shutil, "which", lambda name: None)
    monkeypatch.setattr(serve_many.os, "access", lambda path, mode: False)
    with pytest.raises(MnistError, match="apt-get install nginx-light"):
        serve_many.find_nginx()


def test_a_second_run_in_the_same_folder_starts_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_SERVE_DIR", str(tmp_path))
    monkeypatch.setattr(serve_many, "find_nginx", lambda: "/usr/sbin/nginx")
    with open(tmp_path / "serve.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as the first run holds it
        with pytest.raises(MnistError, match="Another scripts/serve_many.py"):
            serve_many.serve(threading.Event())  # no process started: not marked `process`


# ---- The script, nginx and two processes (slow) ----------------------------------------------

@dataclasses.dataclass
class Served:
    url: str
    script: subprocess.Popen
    folder: Path
    log: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not os.access("/usr/sbin/nginx", os.X_OK) and not shutil.which("nginx"):
        pytest.fail("nginx is not installed (bash scripts/test.sh installs it)")
    folder = tmp_path_factory.mktemp("serve_many")
    models = folder / "models"
    models.mkdir()
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, models / name)
    port = serve_many.free_port()
    log = folder / "serve_many.log"
    env = {**os.environ, "MNIST_SERVE_PROCESSES": "2", "MNIST_SERVE_ADDRESS": "127.0.0.1",
           "MNIST_SERVE_PORT": str(port), "MNIST_SERVE_DIR": str(folder / "run"),
           "MNIST_MODELS_DIR": str(models), "MNIST_DRAWINGS_DB": str(folder / "drawings.sqlite"),
           # The folder holds only the tutorial's model: it judges visitors' labels.
           "MNIST_TRUST_MODEL": "tutorial.keras", "TF_CPP_MIN_LOG_LEVEL": "2"}
    with open(log, "wb") as output:
        # A session of its own, as a terminal's foreground job: Ctrl-C reaches the script only.
        script = subprocess.Popen([sys.executable, str(SCRIPT)], env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + START_SECONDS
    while "Serving on" not in log.read_text():
        if script.poll() is not None or time.monotonic() > deadline:
            script.kill()
            pytest.fail(f"serve_many.py did not start:\n{log.read_text()}")
        time.sleep(0.1)
    yield Served(f"http://127.0.0.1:{port}", script, folder, log)
    if script.poll() is None:
        os.killpg(script.pid, signal.SIGKILL)  # its children follow (PR_SET_PDEATHSIG)
        script.wait()


def get(url, cookie=None):
    """`(status, headers, body)` of a GET, with the routing cookie `cookie` when given."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie
                                     else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.headers, answer.read()


def routing_cookie(headers):
    for line in headers.get_all("Set-Cookie") or []:
        if line.startswith(COOKIE + "="):
            return line.split(";")[0].split("=", 1)[1]
    return None


@pytest.mark.process
def test_the_page_and_health_answer_through_nginx(served):
    status, headers, body = get(served.url + "/")
    assert status == 200 and b"<html" in body.lower()
    assert headers["Server"] == "nginx" and headers["X-Mnist-Backend"] in ("b1", "b2")
    assert get(served.url + "/_stcore/health")[2] == b"ok"


@pytest.mark.process
def test_two_newcomers_land_on_different_processes_and_each_stays_on_its_own(served):
    first, second = (routing_cookie(get(served.url + "/")[1]) for _ in range(2))
    assert {first, second} == {"b1", "b2"}
    for cookie in (first, second, first, second):
        _, headers, _ = get(served.url + "/_stcore/health", cookie)
        assert headers["X-Mnist-Backend"] == cookie
        assert routing_cookie(headers) is None  # known: not set again
    # A value naming no process of this run is a newcomer's, never an address of its own.
    _, headers, _ = get(served.url + "/", "127.0.0.1:22")
    assert routing_cookie(headers) in ("b1", "b2")


class ReadPage(Page):
    """The client's page, also keeping the text shown and the "What did you draw?" pills."""

    def __init__(self):
        super().__init__()
        self.texts = []

    def _element(self, element, fragment_id):
        kind = element.WhichOneof("type")
        if kind in ("markdown", "alert"):  # st.caption, st.markdown; st.success, st.info
            self.texts.append(getattr(element, kind).body)
        elif kind == "button_group":
            proto = element.button_group
            self.widgets[proto.label] = Widget(proto.id, fragment_id, kind, proto)
        return super()._element(element, fragment_id)


ASKED = contextvars.ContextVar("asked")
"""The process a visitor being opened asks for, and the cookies it gets: `{"backend": "b1"}`.
`asyncio.to_thread`, which loads the page for the client, carries it to the loading thread."""


def page_cookies(base_url, timeout=30):
    """The client's page load (tests.stream_client.visitor.page_cookies), with the routing
    cookie of the process asked for already in the jar, as a returning browser has it."""
    asked = ASKED.get()
    jar = http.cookiejar.CookieJar()
    jar.set_cookie(http.cookiejar.Cookie(0, COOKIE, asked["backend"], None, False, "127.0.0.1",
                                         False, False, "/", True, False, None, False, None, None,
                                         {}))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for path in ("/", "/_stcore/health"):
        with opener.open(base_url + path, timeout=timeout) as answer:
            answer.read()
            assert answer.headers["X-Mnist-Backend"] == asked["backend"]
    asked["cookies"] = {cookie.name: cookie.value for cookie in jar}
    return jar


async def open_visitor(url, backend):
    """A visitor of process `backend` (b1, b2) whose first run has finished; and its cookies."""
    asked = {"backend": backend}
    ASKED.set(asked)
    visitor = visitor_module.Visitor(url, name=f"visitor of {backend}")
    visitor.page = ReadPage()
    await visitor.open(timeout=START_SECONDS)
    return visitor, asked["cookies"]


@pytest.fixture(scope="module")
def run():
    """Runs a coroutine in one event loop for the module (its visitors live there); the
    caller waits for its result."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield lambda coroutine: asyncio.run_coroutine_threadsafe(coroutine, loop).result(
        START_SECONDS)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture(scope="module")
def visitors(served, run):
    """`{backend: (visitor, cookies)}`: one visitor on each process, both first runs (each
    process loads TensorFlow and the model then) at once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(visitor_module, "page_cookies", page_cookies)

        async def both():
            return await asyncio.gather(*(open_visitor(served.url, b) for b in ("b1", "b2")))

        opened = dict(zip(("b1", "b2"), run(both())))
        yield opened

        async def close():
            await asyncio.gather(*(visitor.close() for visitor, _ in opened.values()))

        run(close())


def upload(url, session_id, cookies, backend):
    """PUTs a small file into `session_id`'s uploads as the page's uploader does, with the
    routing cookie `backend`; returns the HTTP status."""
    import requests

    answer = requests.put(f"{url}/_stcore/upload_file/{session_id}/probe",
                          files={"file": ("probe.png", b"not really a png", "image/png")},
                          headers={"X-Xsrftoken": cookies["_streamlit_xsrf"]},
                          cookies={**cookies, COOKIE: backend}, timeout=30)
    assert answer.headers.get("X-Mnist-Backend") == backend
    return answer.status_code


@pytest.mark.process
def test_a_visitors_upload_reaches_the_process_holding_its_session(served, visitors):
    for own, other in (("b1", "b2"), ("b2", "b1")):
        visitor, cookies = visitors[own]
        # Streamlit takes an upload only into a session it holds: the other process refuses
        # it, so without the sticky rule about half of all uploads would fail.
        assert upload(served.url, visitor.session_id, cookies, own) in (200, 204)
        assert upload(served.url, visitor.session_id, cookies, other) == 400


@pytest.mark.process
def test_a_drawing_labelled_on_one_process_counts_on_the_other(served, visitors, run, mnist):
    from streamlit.proto.Common_pb2 import StringArray

    (_, _), (x_test, y_test) = mnist
    digit, label = x_test[0], str(int(y_test[0]))
    first = visitors["b1"][0]

    async def label_on_b1_then_visit_b2():
        answer = await first.draw(digit, timeout=60)  # a stroke through nginx's websocket
        assert answer is not None and answer.digit == int(label)
        # The answer comes first; the question under it in the same run, a moment later.
        await first.wait(lambda: "What did you draw?" in first.page.widgets, 60,
                         "the question under the answer")
        await first.set_value("What did you draw?", "string_array_value",
                              StringArray(data=[label]))
        # A new label reruns the whole page (ui/correction.py), which then says so.
        await first.wait(lambda: any(f"Recorded as {label}" in text
                                     for text in first.page.texts), 60, "the recorded notice")
        second, _ = await open_visitor(served.url, "b2")
        await second.close()
        return second.page.texts

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(visitor_module, "page_cookies", page_cookies)
        texts = run(label_on_b1_then_visit_b2())
    assert ("Accuracy of each model on the one drawing a visitor has labelled on this server."
            in texts), texts
    # The same models folder: the other process scores its one model on that drawing.
    assert "tutorial.keras: **100.0%** (1 of 1)" in texts
    # Counted by the visitor's own address (here 127.0.0.1), which nginx wrote in X-Real-IP:
    # the processes would otherwise see only the proxy's loopback, which counts as no one.
    with contextlib.closing(sqlite3.connect(served.folder / "drawings.sqlite")) as db:
        key = db.execute("SELECT key FROM client_key").fetchone()[0]
        (client,), = db.execute("SELECT client FROM drawings").fetchall()
    assert client == hmac.new(key, b"127.0.0.1", hashlib.sha256).hexdigest()[:CLIENT_HEX]


def descendants(pid):
    """Every living process under `pid`, from /proc (zombies left out: they are only records)."""
    children = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                          if ":\t" in line)
            if not fields["State"].startswith("Z"):
                children.setdefault(int(fields["PPid"]), []).append(int(status.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def alive(pid):
    with contextlib.suppress(OSError):
        return not Path(f"/proc/{pid}/status").read_text().split("State:\t")[1].startswith("Z")
    return False


@pytest.mark.process
def test_ctrl_c_stops_every_process_it_started(served):
    started = descendants(served.script.pid)
    assert len(started) >= 4, started  # two Streamlit processes, nginx's master and worker
    os.killpg(served.script.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's job
    assert served.script.wait(timeout=60) == 0, served.log.read_text()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in started if alive(pid)]
