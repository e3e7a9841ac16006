"""ui/pace.py: one page is served at a person's pace (issue 23's capacity: a script sending
strokes or clicks back to back must not take the server's interpreter)."""

import pytest

from ui.session_keys import FRAGMENT_PACE, PAGE_PACE, STROKE_PACE
from ui.pace import BURST, FRAGMENT_RATE, paced_alone, wait_for_turn


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


def test_a_fragments_own_run_takes_a_turn_and_a_whole_page_run_does_not(monkeypatch):
    import ui.pace

    turns = []
    monkeypatch.setattr(ui.pace, "wait_for_turn", lambda key, rate: turns.append(key))
    alone = [True]
    double = paced_alone(lambda x: 2 * x, alone=lambda: alone[0])
    assert double(3) == 6 and turns == [FRAGMENT_PACE]  # a poll, a click in Explore
    alone[0] = False
    assert double(4) == 8 and turns == [FRAGMENT_PACE]  # drawn by the page's run: its pace


def test_a_paced_fragment_inside_another_takes_no_second_turn(monkeypatch):
    # Explore (a fragment) draws its polls (fragments) while a report loads: one click in it
    # is one turn, not three.
    import ui.pace

    turns = []
    monkeypatch.setattr(ui.pace, "wait_for_turn", lambda key, rate: turns.append(key))
    inner = paced_alone(lambda: "poll", alone=lambda: True)
    outer = paced_alone(lambda: [inner(), inner()], alone=lambda: True)
    assert outer() == ["poll", "poll"] and turns == [FRAGMENT_PACE]
    assert inner() == "poll" and turns == [FRAGMENT_PACE] * 2  # the poll's own run: its turn


def test_the_fragments_bucket_keeps_the_pages_own_polls_at_a_low_setting(monkeypatch):
    # The Train panel looks 4 times a second at a training's start and end, the upload's check
    # and the model's facts once each: 6 a second, whatever the deployer's setting.
    import ui.pace

    monkeypatch.setenv("MNIST_RUNS_PER_SECOND", "1")
    rates = []
    monkeypatch.setattr(ui.pace, "wait_for_turn", lambda key, rate: rates.append(rate))
    paced_alone(lambda: None, alone=lambda: True)()
    assert rates == [FRAGMENT_RATE] and FRAGMENT_RATE >= 4 + 1 + 1


def test_a_run_replaced_while_it_waited_its_turn_ends_there(monkeypatch):
    # A click during a sleeping run starts a new run at once (Streamlit's fast reruns): the old
    # one must not go on to do its work when it wakes.
    from streamlit.runtime import scriptrunner
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    class Replaced:
        def yield_check(self):
            raise StopException()

    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda **_: Replaced())
    monkeypatch.setenv("MNIST_RUNS_PER_SECOND", "4")
    state, clock = {}, Clock()
    for _ in range(BURST):  # no sleep, no check: the run goes on
        wait_for_turn(PAGE_PACE, state, clock, clock.sleep)
    with pytest.raises(StopException):
        wait_for_turn(PAGE_PACE, state, clock, clock.sleep)


def test_the_pages_runs_take_no_turn_of_the_fragments_bucket(models):
    # The Draw view draws the models' scores (a fragment) and the canvas's fragment, the Train
    # and Explore tabs their polls: whole-page runs, each paced as a page, never as a fragment.
    from tests.app_kit import open_tab, start

    at = start()
    for tab in ("train", "explore", "draw"):
        open_tab(at, tab)
        assert not at.exception, at.exception
    assert at.session_state["open_tab"] == "draw"
    assert FRAGMENT_PACE not in at.session_state and PAGE_PACE in at.session_state
