"""The Train panel looks four times a second while a training sets up, in its last seconds and
while it saves, so the first batch and the end show within a quarter second; once a second in
between."""

import pytest

from mnist_core.jobs.state import PREPARING, JobState
from ui.train import _poll_quickly


@pytest.mark.parametrize("state, quickly", [
    (JobState(status="loading"), True),
    (JobState(status="running", stage=PREPARING), True),
    (JobState(status="running", stage=""), False),
    (JobState(status="saving"), True),
    (JobState(status="done"), False),
], ids=["loading", "compiling", "batches", "saving", "done"])
def test_the_panel_polls_quickly_only_at_the_start_and_the_end(state, quickly):
    assert _poll_quickly(state, now=0.0) is quickly


def batches(done, now):
    """A one-epoch training of 100 batches, 0.1 s each: `done` of them reported by `now`."""
    return JobState(status="running", stage="", epochs=1, epoch=1, steps=100, step=done,
                    trained_since=0.0, progressed=done * 0.1, steps_at_first=0)


@pytest.mark.parametrize("done, now, quickly", [
    (10, 1.0, False),   # 9 s left
    (70, 7.0, False),   # 3 s left
    (85, 8.5, True),    # 1.5 s left: the saving may come and go between two slow looks
    (100, 10.0, True),  # the last batch done: the validation, then the saving
], ids=["9 s left", "3 s left", "1.5 s left", "validating"])
def test_the_panel_polls_quickly_in_a_trainings_last_seconds(done, now, quickly):
    # The saving of a quick model takes under a second (the report, the file): a page that
    # looked once a second could go from "0 s left" to "Finished" without naming it.
    assert _poll_quickly(batches(done, now), now) is quickly


@pytest.mark.parametrize("done, now, quickly", [
    (70, 7.0, True),    # 3 s left: an estimate that rose past 2 s again keeps the pace
    (50, 5.0, False),   # 5 s left: far from the end after all
], ids=["3 s left", "5 s left"])
def test_a_panel_polling_quickly_near_the_end_does_not_flip_on_a_wavering_estimate(
        done, now, quickly):
    # Each change of pace is a whole-page run: at the 2 s line, an estimate going 1.9, 2.1,
    # 1.9 s cost one each time.
    assert _poll_quickly(batches(done, now), now, quick=True) is quickly
