"""A script's many pages take turns (ui/client_share.py), on a server of their own.

The attack: one address opens pages by the handful and has each send strokes back to back,
each page within its own pace; together they would take the server's interpreter. Its pages
get at most `MNIST_RUNS_AT_ONCE_PER_CLIENT` (1 here) runs at once, a visitor of another address
none of theirs, and a page closed while it waited or ran gives its turn back. Protocol clients
(tests/stream_client), as bench/visitors.py uses: a browser per page would take the cores.
"""

import asyncio
import json
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

from tests.async_kit import run_apart
from tests.browser.conftest import ARTIFACTS, copy_of_the_default_model, serving
from tests.browser_kit import free_port, start_server, stop_server, wait_until_healthy
from tests.conftest import ROOT
from tests.stream_client import Visitor
from tests.stream_client.drawing import canvas_value

pytestmark = [pytest.mark.slow, pytest.mark.process]

ANSWER_SECONDS = 60
SCRIPT, VISITOR = "198.51.100.66", "203.0.113.8"  # documentation addresses (RFC 5737)
PAGES = 6
LOG = "streamlit-client-share.log"


@pytest.fixture(scope="module")
def share_url(tmp_path_factory):
    """A server that knows its visitors' addresses from `X-Real-IP`, as behind nginx
    (scripts/serve_many.sh), gives one client one run at a time, and paces no page: the turns
    alone bound the script here."""
    models = copy_of_the_default_model(tmp_path_factory.mktemp("share-models"))
    drawings = tmp_path_factory.mktemp("share-drawings") / "drawings.sqlite"
    env = {"MNIST_CLIENT_HEADER": "X-Real-IP", "MNIST_RUNS_AT_ONCE_PER_CLIENT": "1",
           "MNIST_RUNS_PER_SECOND": "10000"}
    with serving(models, drawings, LOG, env=env) as url:
        yield url


def first_test_digit(mnist, digit):
    _, (x_test, y_test) = mnist
    return canvas_value(x_test[int(np.flatnonzero(y_test == digit)[0])])


def test_a_scripts_many_pages_take_turns_and_another_address_does_not_wait_for_them(
        share_url, mnist):
    seven, two = first_test_digit(mnist, 7), first_test_digit(mnist, 2)

    async def visit():
        script = [Visitor(share_url, f"script-{i}", headers={"X-Real-IP": SCRIPT})
                  for i in range(PAGES)]
        visitor = Visitor(share_url, "visitor", headers={"X-Real-IP": VISITOR})
        fresh = Visitor(share_url, "fresh", headers={"X-Real-IP": SCRIPT})
        try:
            # The visitor first: the process's first run installs the turns, and the runs
            # already under way then take none (ui/client_share.py).
            await visitor.open()
            await asyncio.gather(*(page.open() for page in script))  # opening takes turns too
            until = time.monotonic() + 4

            async def flood(page):
                strokes = 0
                while time.monotonic() < until:
                    answer = await page.draw(seven, ANSWER_SECONDS)
                    assert answer is not None and answer.digit == 7, (page.name, answer)
                    strokes += 1
                return strokes

            async def by_hand():
                answers = []
                while time.monotonic() < until:
                    answers.append(await visitor.draw(two, ANSWER_SECONDS))
                    await asyncio.sleep(0.5)
                return answers

            *strokes, answers = await asyncio.gather(*map(flood, script), by_hand())
            assert all(strokes), f"a page of the script was never served: {strokes}"
            assert answers and all(a is not None and a.digit == 2 for a in answers), answers
            # Every page sends a stroke, then closes at once: some close while their run waits
            # for its turn, one while it runs. Each turn must come back, or a page of the
            # script's address would now wait for good.
            for page in script:
                await page.rerun(page.page.canvas.fragment_id)
            await asyncio.gather(*(page.close() for page in script))
            await fresh.open()
            answer = await fresh.draw(seven, ANSWER_SECONDS)
            assert answer is not None and answer.digit == 7, "a closed page kept its turn"
        finally:
            await asyncio.gather(*(page.close() for page in [*script, visitor, fresh]))

    run_apart(visit())
    said = (ARTIFACTS / LOG).read_text(errors="replace")
    assert "MNIST_RUNS_AT_ONCE_PER_CLIENT (1) and took turns" in said, (
        "the script's pages never waited for a turn: they ran all at once")


@pytest.fixture(scope="module")
def probe_url(tmp_path_factory):
    """tests/browser/turns_app.py served as the app is, one run at a time per client."""
    folder = tmp_path_factory.mktemp("turns-probe")
    port, log = free_port(), ARTIFACTS / "streamlit-turns-probe.log"
    server = start_server(Path(__file__).with_name("turns_app.py"), ROOT, port, log, env={
        "TURNS_PROBE": str(folder / "probe.json"), "MNIST_CLIENT_HEADER": "X-Real-IP",
        "MNIST_RUNS_AT_ONCE_PER_CLIENT": "1", "MNIST_RUNS_PER_SECOND": "10000"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server, log, timeout=60)
        yield url, folder / "probe.json"
    finally:
        stop_server(server)


async def whole_page_runs(url, until, twice, finished):
    """One page of the script's address asking for whole-page runs until `until`; with `twice`,
    it asks for the next one as soon as its run holds the turn ("go"), as a click on a tab
    would: Streamlit then starts the new run in a new runner while the old one stops, and the
    page has two runs at once."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    from tests.stream_client.visitor import XSRF_COOKIE, page_cookies

    cookies = {c.name: c.value for c in await asyncio.to_thread(page_cookies, url)}
    socket = await connect(
        f"ws://{urllib.parse.urlsplit(url).netloc}/_stcore/stream",
        subprotocols=["streamlit", cookies[XSRF_COOKIE]], max_size=None,
        additional_headers={"Origin": url, "X-Real-IP": SCRIPT,
                            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})

    async def rerun():
        message = BackMsg()
        message.rerun_script.query_string = ""
        await socket.send(message.SerializeToString())

    try:
        await rerun()
        asked_again = False
        async for raw in socket:
            message = ForwardMsg.FromString(raw)
            kind = message.WhichOneof("type")
            if kind == "delta" and twice and not asked_again:
                element = message.delta.new_element
                if element.WhichOneof("type") == "markdown" and element.markdown.body == "go":
                    asked_again = True
                    await rerun()
            elif (kind == "script_finished"
                  and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY):
                finished.append(1)
                asked_again = False
                if time.monotonic() > until:
                    break
                await rerun()
    finally:
        await socket.close()


def test_a_clients_runs_never_exceed_its_turns_even_with_two_runs_of_a_page_at_once(probe_url):
    """The reviewer's attack: each page of the script asks for a new whole-page run as soon as
    its run holds the turn; the old run's end gave the page's one turn back while the new run
    went on, and 7 runs of a client limited to 1 were in their work at once. A probe page counts
    them in the server."""
    url, probe = probe_url

    async def flood():
        await whole_page_runs(url, 0, False, [])  # the process's first run: no turn yet
        until, finished = time.monotonic() + 4, []
        await asyncio.gather(*(whole_page_runs(url, until, True, finished)
                               for _ in range(PAGES)))
        return finished

    finished = run_apart(flood())
    assert len(finished) >= PAGES, "the script's pages were hardly served"
    most = json.loads(probe.read_text())["most"]
    assert most == 1, f"{most} runs of a client limited to 1 were in their work at once"
