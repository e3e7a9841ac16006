"""A training process kept ready (issue 24): it takes the next job without starting over, a
fresh one replaces it after its job or its death, and none outlives the server.

The spares here load tiny data (`tests.job_loaders:tiny`) at full priority, so each costs the
import of TensorFlow and two batches of a throwaway model.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def one_recipe(monkeypatch):
    """The spares trace one recipe's step beforehand, not two: seconds less per spare."""
    monkeypatch.setenv("MNIST_TRAIN_RECIPES", "tutorial")

from mnist_core.jobs.training_jobs import TrainingJobs
from tests.conftest import ROOT
from tests.jobs.test_jobs import is_gone, model_files, wait_until

TINY = "tests.job_loaders:tiny"
WARM_SECONDS = 120  # a spare imports TensorFlow: seconds alone, a minute on a loaded machine


def ready_spare(jobs, other_than=None):
    """The pid of `jobs`' spare once it is ready (and is not `other_than`)."""
    def ready():
        spare = jobs.spare()
        return spare is not None and spare[1] and spare[0] != other_than
    wait_until(ready, WARM_SECONDS, "a ready spare")
    return jobs.spare()[0]


@pytest.mark.process
def test_a_ready_spare_takes_the_job_and_a_fresh_one_replaces_it(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=TINY, nice=0, spare=True)
    try:
        spare = ready_spare(jobs)
        assert jobs.start(epochs=1, batch_size=16)
        seen = set()
        while jobs.snapshot().active:
            state = jobs.snapshot()
            seen.add((state.status, state.stage))
            time.sleep(0.01)
        state = jobs.wait(60)
        assert state.status == "done", state.message
        # The process that had warmed up before the click trained it: no second start.
        assert state.pid == spare
        # The visitor still saw the setup's step (the model's first step) before batches.
        assert ("running", "preparing") in seen and ("running", "training") in seen, seen
        assert len([name for name in model_files(tmp_path) if name.endswith(".keras")]) == 1
        # One process per training: the next job gets a new one, warmed up meanwhile.
        wait_until(lambda: is_gone(spare), 5, "the used spare to end")
        assert ready_spare(jobs, other_than=spare) != spare
    finally:
        jobs.close()
    wait_until(lambda: jobs.spare() is None, 10, "the spare to end once closed")



@pytest.mark.process
def test_the_training_process_runs_below_the_servers_other_children(tmp_path, monkeypatch):
    # Strokes first, then a visitor's upload being checked, then a training: on a busy server
    # the long, one-visitor work yields to the shared (bench/README.md, "Who yields to whom").
    from mnist_core.jobs.training_jobs import CHILD_NICE
    from mnist_core.untrusted.sandbox_worker import NICE as CHECK_NICE

    assert 0 < CHECK_NICE < CHILD_NICE
    monkeypatch.delenv("MNIST_TRAINING_NICE")  # the deployer's default
    jobs = TrainingJobs(tmp_path, load_data=TINY, spare=True)  # the server's default priority
    try:
        spare = ready_spare(jobs)
        nice = int(Path(f"/proc/{spare}/stat").read_text().rsplit(")", 1)[1].split()[16])
        assert nice == min(19, os.nice(0) + CHILD_NICE)
    finally:
        jobs.close()


PARENT = """
import sys, time
from mnist_core.jobs.training_jobs import TrainingJobs
jobs = TrainingJobs(sys.argv[1], load_data="tests.job_loaders:tiny", nice=0, spare=True)
said = None
while True:
    spare = jobs.spare()
    if spare and spare[1] and spare[0] != said:
        said = spare[0]
        print(said, flush=True)
    time.sleep(0.05)
"""


@pytest.mark.process
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_spare_that_dies_is_replaced_and_none_outlives_the_server(tmp_path):
    server = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        first = int(server.stdout.readline())
        os.kill(first, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        second = int(server.stdout.readline())
        assert second != first and not is_gone(second)
    finally:
        server.kill()  # SIGKILL: the server has no chance to stop its spare itself
        server.wait()
        server.stdout.close()
    wait_until(lambda: is_gone(second), 5, "the spare to end with its server")
    assert model_files(tmp_path) == []
