"""The Train panel looks four times a second while a training sets up and while it saves, so
the first batch and the end show within a quarter second; once a second in between."""

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
    assert _poll_quickly(state) is quickly
