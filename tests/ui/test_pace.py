"""ui/pace.py: one page is served at a person's pace (issue 23's capacity: a script sending
strokes or clicks back to back must not take the server's interpreter)."""

import pytest

from ui.session_keys import PAGE_PACE, STROKE_PACE
from ui.pace import BURST, wait_for_turn


class Clock:
    def __init__(self):
        self.now, self.slept = 100.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_a_burst_is_read_at_once_then_one_stroke_per_turn(monkeypatch):
    monkeypatch.setenv("MNIST_RUNS_PER_SECOND", "4")
    state, clock = {}, Clock()
    for _ in range(BURST):
        assert wait_for_turn(STROKE_PACE, state, clock, clock.sleep) == 0.0
    assert clock.slept == []
    # Back to back, as a script sends them: each further reading waits a quarter second.
    for _ in range(20):
        assert wait_for_turn(STROKE_PACE, state, clock, clock.sleep) == pytest.approx(0.25)
    assert clock.now == pytest.approx(100.0 + 20 * 0.25)


def test_a_pause_refills_the_bucket_up_to_the_burst(monkeypatch):
    monkeypatch.setenv("MNIST_RUNS_PER_SECOND", "4")
    state, clock = {}, Clock()
    for _ in range(BURST):
        wait_for_turn(STROKE_PACE, state, clock, clock.sleep)
    clock.now += 1.0  # a second of thought: four readings back
    for _ in range(4):
        assert wait_for_turn(STROKE_PACE, state, clock, clock.sleep) == 0.0
    assert wait_for_turn(STROKE_PACE, state, clock, clock.sleep) > 0
    clock.now += 3600.0  # an hour away: the burst again, no more
    waits = [wait_for_turn(STROKE_PACE, state, clock, clock.sleep) for _ in range(BURST + 1)]
    assert waits.count(0.0) == BURST


def test_a_hand_drawing_two_strokes_a_second_never_waits(monkeypatch):
    monkeypatch.delenv("MNIST_RUNS_PER_SECOND", raising=False)  # the default, 4
    state, clock = {}, Clock()
    for _ in range(600):  # five minutes of drawing
        assert wait_for_turn(STROKE_PACE, state, clock, clock.sleep) == 0.0
        clock.now += 0.5


def test_each_session_has_its_own_bucket_and_a_bad_setting_keeps_the_default(monkeypatch):
    monkeypatch.setenv("MNIST_RUNS_PER_SECOND", "fast")
    first, second, clock = {}, {}, Clock()
    for _ in range(BURST):
        wait_for_turn(STROKE_PACE, first, clock, clock.sleep)
    assert wait_for_turn(STROKE_PACE, second, clock, clock.sleep) == 0.0
    # The default, 4 a second:
    assert wait_for_turn(STROKE_PACE, first, clock, clock.sleep) == pytest.approx(0.25)
    assert set(first) == {STROKE_PACE}


def test_a_drawing_the_page_refuses_takes_its_turn_as_a_reading_does(models, canvas, mnist,
                                                                      monkeypatch):
    # Refusing a drawing at the page's size limits costs its whole check (~20-120 ms): a script
    # sending such drawings back to back is paced like one sending digits.
    import ui.pace
    from tests.app_kit import canvas_of, start
    from tests.ui.test_drawing_bounds import OVERSIZED

    turns, wait = [], ui.pace.wait_for_turn
    monkeypatch.setattr(ui.pace, "wait_for_turn", lambda *key: turns.append(key) or wait(*key))
    (_, _), (x_test, _) = mnist
    at = start()
    for _ in range(3):
        turns.clear()
        canvas(canvas_of(x_test[0]), OVERSIZED["too many strokes"])
        at.run()
        assert not at.tabs[0].metric and turns == [(PAGE_PACE,), (STROKE_PACE,)]
    canvas(canvas_of(x_test[0]))
    turns.clear()
    at.run()
    assert at.tabs[0].metric and turns == [(PAGE_PACE,), (STROKE_PACE,)]


def test_strokes_and_whole_page_runs_have_buckets_of_their_own(monkeypatch):
    # A visitor who drew a quick burst can still click a tab at once, and the other way round.
    monkeypatch.setenv("MNIST_RUNS_PER_SECOND", "4")
    state, clock = {}, Clock()
    for _ in range(BURST):
        wait_for_turn(STROKE_PACE, state, clock, clock.sleep)
    assert wait_for_turn(PAGE_PACE, state, clock, clock.sleep) == 0.0
    assert wait_for_turn(STROKE_PACE, state, clock, clock.sleep) > 0
    assert set(state) == {PAGE_PACE, STROKE_PACE}
