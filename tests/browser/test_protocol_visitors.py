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
