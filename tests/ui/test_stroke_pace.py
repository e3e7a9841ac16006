"""ui/stroke_pace.py: one page's strokes are read at a hand's pace (issue 23's capacity: a
script sending strokes back to back must not take the server's interpreter)."""

import pytest

from ui.session_keys import STROKE_PACE
from ui.stroke_pace import BURST, wait_for_turn


class Clock:
    def __init__(self):
        self.now, self.slept = 100.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_a_burst_is_read_at_once_then_one_stroke_per_turn(monkeypatch):
    monkeypatch.setenv("MNIST_STROKES_PER_SECOND", "4")
    state, clock = {}, Clock()
    for _ in range(BURST):
        assert wait_for_turn(state, clock, clock.sleep) == 0.0
    assert clock.slept == []
    # Back to back, as a script sends them: each further reading waits a quarter second.
    for _ in range(20):
        assert wait_for_turn(state, clock, clock.sleep) == pytest.approx(0.25)
    assert clock.now == pytest.approx(100.0 + 20 * 0.25)


def test_a_pause_refills_the_bucket_up_to_the_burst(monkeypatch):
    monkeypatch.setenv("MNIST_STROKES_PER_SECOND", "4")
    state, clock = {}, Clock()
    for _ in range(BURST):
        wait_for_turn(state, clock, clock.sleep)
    clock.now += 1.0  # a second of thought: four readings back
    for _ in range(4):
        assert wait_for_turn(state, clock, clock.sleep) == 0.0
    assert wait_for_turn(state, clock, clock.sleep) > 0
    clock.now += 3600.0  # an hour away: the burst again, no more
    assert sum(wait_for_turn(state, clock, clock.sleep) == 0.0 for _ in range(BURST + 1)) == BURST


def test_a_hand_drawing_two_strokes_a_second_never_waits(monkeypatch):
    monkeypatch.delenv("MNIST_STROKES_PER_SECOND", raising=False)  # the default, 4
    state, clock = {}, Clock()
    for _ in range(600):  # five minutes of drawing
        assert wait_for_turn(state, clock, clock.sleep) == 0.0
        clock.now += 0.5


def test_each_session_has_its_own_bucket_and_a_bad_setting_keeps_the_default(monkeypatch):
    monkeypatch.setenv("MNIST_STROKES_PER_SECOND", "fast")
    first, second, clock = {}, {}, Clock()
    for _ in range(BURST):
        wait_for_turn(first, clock, clock.sleep)
    assert wait_for_turn(second, clock, clock.sleep) == 0.0
    assert wait_for_turn(first, clock, clock.sleep) == pytest.approx(0.25)  # the default, 4
    assert set(first) == {STROKE_PACE}


def test_a_drawing_the_page_refuses_takes_its_turn_as_a_reading_does(models, canvas, mnist,
                                                                      monkeypatch):
    # Refusing a drawing at the page's size limits costs its whole check (~20-120 ms): a script
    # sending such drawings back to back is paced like one sending digits.
    import ui.stroke_pace
    from tests.app_kit import canvas_of, start
    from tests.ui.test_drawing_bounds import OVERSIZED

    turns, wait = [], ui.stroke_pace.wait_for_turn
    monkeypatch.setattr(ui.stroke_pace, "wait_for_turn", lambda: turns.append(1) or wait())
    (_, _), (x_test, _) = mnist
    at = start()
    for _ in range(3):
        turns.clear()
        canvas(canvas_of(x_test[0]), OVERSIZED["too many strokes"])
        at.run()
        assert not at.tabs[0].metric and turns == [1]
    canvas(canvas_of(x_test[0]))
    turns.clear()
    at.run()
    assert at.tabs[0].metric and turns == [1]
