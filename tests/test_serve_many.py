"""Several Streamlit processes behind nginx (scripts/serve_many.py), through the proxy: each
visitor kept on one process, every process on the same models folder and drawings store, each
visitor counted by their own address, and nothing left running once the script stops.

The tests share one run of the script (two processes behind a real nginx, on a port and folders
of their own), started for the module; the last one stops it. Visitors speak Streamlit's own
websocket protocol (tests/stream_client).
"""

import asyncio
import contextlib
import dataclasses
import os
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

from mnist_core.drawings.clients import client_hash
from tests.conftest import ROOT
from tests.serve_many_kit import (COOKIE, SCRIPT, START_SECONDS, alive, descendants,
                                  open_visitor, page_cookies, serve_many)
from tests.stream_client import visitor as visitor_module

# One pytest-xdist worker runs them all (`--dist loadgroup`), so one script serves them all, and
# the test that stops it runs last.
pytestmark = pytest.mark.xdist_group("serve_many")


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
        (client,), = db.execute("SELECT client FROM drawings").fetchall()
        assert client == client_hash(db, "127.0.0.1")


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
