"""The protocol visitors' client (tests/stream_client) against the shared app server.

bench/visitors.py --protocol measures hundreds of visitors with it; these tests check that what
it measures is the app answering: a real MNIST 7 sent as the canvas sends it is read 7, and two
visitors are two sessions, each with its own drawing.
"""

import asyncio

import numpy as np
import pytest

from tests.async_kit import run_apart
from tests.stream_client import Visitor

pytestmark = [pytest.mark.slow, pytest.mark.process]

ANSWER_SECONDS = 30


def first_test_digit(mnist, digit):
    _, (x_test, y_test) = mnist
    return x_test[int(np.flatnonzero(y_test == digit)[0])]


def test_a_protocol_visitor_drawing_a_7_reads_7_and_a_second_visitor_has_a_page_of_its_own(
        app_url, mnist):
    seven, two = first_test_digit(mnist, 7), first_test_digit(mnist, 2)

    async def visit():
        first, second = Visitor(app_url, "first"), Visitor(app_url, "second")
        try:
            await first.open()
            answer = await first.draw(seven, ANSWER_SECONDS)
            assert answer is not None and answer.digit == 7
            await second.open()
            assert second.session_id and second.session_id != first.session_id
            assert second.page.answer is None, "the second visitor's page shows the first's 7"
            answer = await second.draw(two, ANSWER_SECONDS)
            assert answer is not None and answer.digit == 2
            first.page.answer = None
            await first.rerun_and_wait()  # the whole page again, as the browser's R key
            assert first.page.answer == "7", "the second visitor's 2 reached the first's page"
            assert not first.page.exceptions and not second.page.exceptions
        finally:
            await asyncio.gather(first.close(), second.close())

    run_apart(visit())


async def back_to_back(url, seconds, act, prepare=None):
    """A scripted visitor: opens the page, `prepare(visitor)`, then `act(visitor)` again the
    moment the last one ended, for `seconds`. Returns `(times it acted, seconds taken)`."""
    import time

    visitor = Visitor(url, "script")
    try:
        await visitor.open()
        if prepare is not None:
            await prepare(visitor)
        acted, start = 0, time.monotonic()
        while time.monotonic() - start < seconds:
            await act(visitor)
            acted += 1
        return acted, time.monotonic() - start
    finally:
        await visitor.close()


def test_a_script_sending_strokes_back_to_back_is_read_at_a_hands_pace(app_url, mnist):
    # The attack: a scripted visitor sends a stroke the moment the last one is answered, ~60
    # a second at ~15 ms each, the whole of the server's interpreter. After its burst, the page
    # reads it at MNIST_RUNS_PER_SECOND (4 by default), asleep in between.
    from ui.pace import BURST

    seven, rate = first_test_digit(mnist, 7), 4

    async def stroke(visitor):
        answer = await visitor.draw(seven, ANSWER_SECONDS)
        assert answer is not None and answer.digit == 7

    answered, elapsed = run_apart(back_to_back(app_url, 3.0, stroke))
    assert answered <= BURST + rate * elapsed + 1, (answered, elapsed)
    assert answered >= BURST, "the burst itself is read at once"


def test_a_script_asking_for_the_whole_page_back_to_back_gets_it_at_a_persons_pace(app_url):
    # The attack: the page drawn whole again the moment the last run ends (the browser's R key,
    # scripted), on the Train tab, where no stroke is read. After its burst, the page runs at
    # MNIST_RUNS_PER_SECOND (4), asleep in between.
    from ui.pace import BURST

    rate = 4

    async def on_the_train_tab(visitor):
        train = next(label for label in visitor.page.tab_labels if label.endswith("Train"))
        await visitor.open_tab(train)
        await asyncio.sleep(BURST / rate)  # the turns the opening took, back

    async def whole_page(visitor):
        await visitor.rerun_and_wait(timeout=ANSWER_SECONDS)

    runs, elapsed = run_apart(back_to_back(app_url, 4.0, whole_page, on_the_train_tab))
    assert runs <= BURST + rate * elapsed + 1, (runs, elapsed)
    assert runs >= BURST, "the burst itself is run at once"


def test_a_script_asking_for_a_fragment_back_to_back_gets_it_at_a_persons_pace(app_url):
    # The attack: one of the page's fragments other than the canvas's (here the Draw view's
    # scores of the models on the visitors' drawings) asked for by its id the moment its last
    # run ends, as a poll's timer or a click inside it would, but back to back: 91 runs in 4 s
    # before. After its burst, it runs at FRAGMENT_RATE (6: the page's own polls together),
    # asleep in between.
    from ui.pace import BURST, FRAGMENT_RATE

    rate, chosen = FRAGMENT_RATE, []

    async def find_a_fragment(visitor):
        others = visitor.page.fragment_ids - {visitor.page.canvas.fragment_id}
        assert others, "the Draw view drew no fragment besides the canvas's"
        chosen.append(sorted(others)[0])  # the page's whole runs took none of its turns

    async def fragment_alone(visitor):
        await visitor.rerun_and_wait(chosen[0], timeout=ANSWER_SECONDS)

    runs, elapsed = run_apart(back_to_back(app_url, 4.0, fragment_alone, find_a_fragment))
    assert runs <= BURST + rate * elapsed + 1, (runs, elapsed)
    assert runs >= BURST, "the burst itself is run at once"


def test_a_page_asking_to_clear_the_servers_caches_is_refused(app_url, mnist):
    # The attack: Streamlit's clear_cache message, which any page may send, clears every
    # st.cache_resource of the process for every visitor (the models, the training jobs'
    # manager, the drawings store) and the sender's own session. Refused (ui/backmsg_guard.py):
    # the page's own kept drawing, the one thing the sender can see, survives it.
    from streamlit.proto.BackMsg_pb2 import BackMsg

    seven = first_test_digit(mnist, 7)

    async def visit():
        visitor = Visitor(app_url, "script")
        try:
            await visitor.open()
            answer = await visitor.draw(seven, ANSWER_SECONDS)
            assert answer is not None and answer.digit == 7
            clear = BackMsg()
            clear.clear_cache = True
            # Away from the canvas, then back: what the page shows is its session's kept
            # drawing (ui/kept_drawing.py), not a value the canvas sends again.
            labels = visitor.page.tab_labels
            await visitor.open_tab(next(label for label in labels if label.endswith("Train")))
            visitor.forget(visitor.page.canvas.id)
            await visitor.send(clear)
            visitor.page.answer = None
            await visitor.open_tab(next(label for label in labels if label.endswith("Draw")))
            assert visitor.page.answer == "7", "the server's caches and the page were cleared"
        finally:
            await visitor.close()

    run_apart(visit())
