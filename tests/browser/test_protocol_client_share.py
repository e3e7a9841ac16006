"""A script's many pages take turns (ui/client_share.py), on a server of their own.

The attack: one address opens pages by the handful and has each send strokes back to back,
each page within its own pace; together they would take the server's interpreter. Its pages
get at most `MNIST_RUNS_AT_ONCE_PER_CLIENT` (1 here) runs at once, a visitor of another address
none of theirs, and a page closed while it waited or ran gives its turn back. Protocol clients
(tests/stream_client), as bench/visitors.py uses: a browser per page would take the cores.
"""

import asyncio
import time

import numpy as np
import pytest

from tests.async_kit import run_apart
from tests.browser.conftest import ARTIFACTS, copy_of_the_default_model, serving
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
