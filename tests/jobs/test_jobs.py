"""Background training: one per models folder, only its owner cancels it, the deployer's limits
hold, and the training process never outlives the server nor saves behind its back.

The training process finds its data loader by name, `tests.job_loaders:NAME`.
"""

import json
import subprocess
import sys
import time

import pytest

from mnist_core import models_folder
from mnist_core.evaluation import report_store
from mnist_core.errors import MnistError
from mnist_core.jobs.training_jobs import TrainingJobs
from mnist_core.storage import file_digest
from tests.conftest import ROOT, make_tiny_data

TINY, SLOW = "tests.job_loaders:tiny", "tests.job_loaders:slow_tiny"


def model_files(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def wait_until(condition, timeout, what):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.process
def test_runs_in_the_background_saves_a_marked_model_and_prunes_the_oldest(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_MAX_TRAINED_MODELS", "1")
    (tmp_path / "tutorial.keras").write_bytes(b"shipped")  # no metadata: never pruned
    (tmp_path / "old.keras").write_bytes(b"old")
    (tmp_path / "old.json").write_text(json.dumps({"trained_by_visitor": True,
                                                   "date": "2000-01-01T00:00:00+00:00"}))
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    assert jobs.start(epochs=2, batch_size=16)
    state = jobs.wait(180)
    assert state.status == "done", state.message
    assert state.history["val_accuracy"] and len(state.history["loss"]) == 2
    assert state.epoch == 2 and state.step == state.steps == 4 and state.fraction == 1.0
    assert 0 <= state.test_accuracy <= 1 and state.model_path.endswith(".keras")
    saved = model_files(tmp_path)
    assert len(saved) == 3 and "tutorial.keras" in saved and "old.keras" not in saved
    new = sorted(name for name in saved if name.startswith("tutorial-"))
    assert len(new) == 2 and new[0].endswith(".json") and new[1] == new[0][:-5] + ".keras"
    metadata = json.loads((tmp_path / new[0]).read_text())
    assert metadata["trained_by_visitor"] is True and metadata["epochs"] == 2
    (_, _), (_, y_test) = make_tiny_data()
    stored = report_store.load_report(tmp_path / new[1], y_test,
                                      file_digest(tmp_path / new[1]))
    assert stored is not None, "the new model's test-set report was not stored for Explore"
    assert stored[0].accuracy == pytest.approx(state.test_accuracy, abs=1e-6)


@pytest.mark.process
def test_a_second_start_is_refused_while_one_runs_by_its_manager_or_another_on_the_folder(
        tmp_path):
    # One test for both refusals: each training here is a TensorFlow process of its own.
    first, second = TrainingJobs(tmp_path, load_data=SLOW), TrainingJobs(tmp_path, load_data=TINY)
    assert first.start(epochs=1)
    assert not first.start(epochs=1)
    assert first.snapshot().job_id == 1 and first.snapshot().active

    def worker_holds_the_lock():
        with models_folder.locked(tmp_path) as held:
            return not held

    wait_until(worker_holds_the_lock, 60, "the worker to take the folder's lock")
    assert not second.start(epochs=1)
    assert second.snapshot().status == "idle"
    assert first.wait(180).status == "done"
    assert second.start(epochs=1) and second.wait(180).status == "done"  # free once finished
    assert first.start(epochs=1)  # its own manager too
    # Its training need not run: cancelled while its loader sleeps (SLOW), the process stops
    # before it imports TensorFlow, a third training's ~10 s less.
    first.cancel()
    assert first.wait(180).job_id == 2


@pytest.mark.process
def test_only_the_owner_can_cancel_and_others_see_progress_and_time_left(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    assert jobs.start(epochs=500, batch_size=1, limit=64, owner="visitor-a")
    wait_until(lambda: jobs.snapshot().step >= 5 or not jobs.snapshot().active, 120, "batches")
    state = jobs.snapshot()
    assert state.status == "running" and state.owner == "visitor-a"
    assert state.seconds_left > 0 and state.settings["recipe"] == "tutorial"
    assert not jobs.cancel("visitor-b") and not jobs.cancel()
    time.sleep(1)
    assert jobs.snapshot().status == "running"
    asked = time.time()
    assert jobs.cancel("visitor-a")
    state = jobs.wait(60)
    assert state.status == "cancelled" and "nothing was saved" in state.message
    assert time.time() - asked < 15 and state.epoch < 500 and state.seconds_left is None
    assert model_files(tmp_path) == []


@pytest.mark.process
def test_a_failure_is_one_sentence_and_the_manager_stays_usable(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data="tests.job_loaders:broken")
    assert jobs.start(epochs=1)
    state = jobs.wait(120)
    assert state.status == "failed" and "\n" not in state.message
    assert "failed unexpectedly (RuntimeError: disk on fire)" in state.message
    jobs._load_data = TINY
    assert jobs.start(epochs=1) and jobs.wait(180).status == "done"


@pytest.mark.process
def test_unreachable_mnist_speaks_to_the_visitor_and_is_remembered_for_a_while(
        tmp_path, monkeypatch):
    jobs = TrainingJobs(tmp_path, load_data="tests.job_loaders:offline")
    assert jobs.start(epochs=1)
    state = jobs.wait(120)
    assert state.status == "failed" and state.message == (
        "MNIST could not be downloaded for this training, so nothing was trained; try again in "
        "a few minutes.")  # no command-line advice (--data) on the page
    jobs._load_data = TINY
    with pytest.raises(MnistError, match=r"training can start again in about 5 min\.$"):
        jobs.start(epochs=1)  # no second 20-second download chain right away
    monkeypatch.setenv("MNIST_DATA_RETRY_SECONDS", "0.01")
    time.sleep(0.05)
    assert jobs.start(epochs=1) and jobs.wait(180).status == "done"


def test_bad_settings_are_refused_before_starting(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    with pytest.raises(MnistError, match="Batch size"):
        jobs.start(batch_size=-5)
    assert jobs.snapshot().status == "idle"


@pytest.mark.parametrize("environment, request_, words", [
    ({"MNIST_TRAIN_RECIPES": "quick"}, {"recipe": "tutorial"},
     "The recipe tutorial is not offered on this server; choose quick."),
    ({"MNIST_TRAIN_RECIPES": ""}, {"recipe": "tutorial"}, "Training is switched off"),
    ({"MNIST_MAX_TRAINED_MODELS": "0"}, {"recipe": "tutorial"}, "Training is switched off"),
    ({"MNIST_MAX_TRAIN_IMAGE_EPOCHS": "10000"}, {"epochs": 2, "limit": 6000},
     "2 x 6000 training images is more than this server allows (10000 epochs x images"),
    ({}, {"recipe": "strong"}, "The recipe strong is not offered"),  # the default list
    ({}, {"epochs": 11}, "11 x 60000 training images is more than this server allows"),
])
def test_refuses_what_the_deployers_limits_do_not_allow(tmp_path, monkeypatch, environment,
                                                         request_, words):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    with pytest.raises(MnistError) as refused:
        jobs.start(**request_)
    assert words in str(refused.value) and str(refused.value).endswith(".")
    assert jobs.snapshot().status == "idle" and model_files(tmp_path) == []


@pytest.mark.process
def test_stops_at_the_deployers_time_limit_and_saves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_MAX_TRAIN_MINUTES", "0.05")  # 3 seconds
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    assert jobs.start(epochs=500, batch_size=1, limit=64)
    state = jobs.wait(120)
    assert state.status == "failed" and "this server's limit of 0.05 minutes" in state.message
    assert "nothing was saved" in state.message and model_files(tmp_path) == []
    assert time.time() - state.started < 3 + 20


@pytest.mark.parametrize("fault, words", [
    ("read-only", "The models folder is not writable"),
    ("full", "The models folder has only 1 MB free, less than the 50 MB a training needs"),
])
def test_refuses_a_full_or_read_only_folder_before_starting(tmp_path, monkeypatch, fault, words):
    if fault == "read-only":  # the tests may run as root, who writes anywhere: fake the refusal
        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(models_folder.tempfile, "mkstemp", refuse)
    else:
        usage = models_folder.shutil.disk_usage(tmp_path)
        monkeypatch.setattr(models_folder.shutil, "disk_usage",
                            lambda path: usage._replace(free=2**20))
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    with pytest.raises(MnistError) as refused:
        jobs.start(epochs=1)
    message = str(refused.value)
    assert message.startswith(words) and str(tmp_path) not in message
    assert jobs.snapshot().status == "idle"


def test_creating_a_manager_removes_leftovers_of_an_interrupted_save(tmp_path):
    leftovers = [".tutorial-20260101-000000-ab12cd.keras", ".tutorial-20260101-000000-ef34.json",
                 ".mnist_model-x1.h5", ".write-probe-zz"]
    for name in leftovers:
        (tmp_path / name).write_bytes(b"partial")
    (tmp_path / "quick-20260101-000000.json").write_text('{"trained_by_visitor": true}')
    (tmp_path / "tutorial.keras").write_bytes(b"shipped")
    TrainingJobs(tmp_path, load_data=TINY)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".training.lock", "tutorial.keras"]


PARENT = """
import sys, time
from mnist_core.jobs.training_jobs import TrainingJobs
from mnist_core.storage import file_digest
jobs = TrainingJobs(sys.argv[1], load_data="tests.job_loaders:tiny")
jobs.start(epochs=500, batch_size=1, limit=64)
while jobs.snapshot().step < 3:
    time.sleep(0.05)
print(jobs.snapshot().pid, flush=True)
time.sleep(600)
"""


def is_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has ended
    except FileNotFoundError:
        return True


@pytest.mark.process
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_training_process_ends_when_the_server_is_killed_and_saves_nothing(tmp_path):
    server = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        worker = int(server.stdout.readline())
        assert not is_gone(worker)
    finally:
        server.kill()  # SIGKILL: the server has no chance to stop its worker itself
        server.wait()
    killed = time.time()
    wait_until(lambda: is_gone(worker), 5, "the training process to end")
    assert time.time() - killed < 5
    time.sleep(1)
    assert model_files(tmp_path) == []


@pytest.mark.process
def test_the_training_process_exits_at_once_when_its_input_closes(tmp_path):
    worker = subprocess.Popen(
        [sys.executable, "-m", "mnist_core.jobs.worker", "--models", str(tmp_path),
         "--settings", json.dumps({"recipe": "tutorial", "epochs": 1, "batch_size": 16,
                                   "limit": None, "seed": 1, "keep": 10}),
         "--load-data", "tests.job_loaders:slow_tiny"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    wait_until(lambda: not _lock_free(tmp_path), 30, "the worker to take the lock")
    worker.stdin.close()
    assert worker.wait(5) == 3  # EXIT_ORPHANED, long before the 3 s loader returns
    assert worker.stdout.read() == b"" and model_files(tmp_path) == []
    worker.stdout.close()


def _lock_free(folder):
    with models_folder.locked(folder) as held:
        return held


@pytest.mark.process
def test_the_training_process_imports_no_page_code(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data="tests.job_loaders:page_modules")
    assert jobs.start(epochs=1)
    assert jobs.wait(120).message == "Page modules in the training process: []."


@pytest.mark.parametrize("value, unknown", [("tutorial,QUICK", "'QUICK', which is not a recipe"),
                                            ("../x", "'../x', which is not a recipe"),
                                            ("quick, strng, tutoral",
                                             "'strng', 'tutoral', which are not recipes")])
def test_an_unknown_recipe_in_the_setting_is_said_not_dropped(tmp_path, monkeypatch, value,
                                                               unknown):
    # issue 22 (B6): unknown names were dropped in silence, switching training off.
    monkeypatch.setenv("MNIST_TRAIN_RECIPES", value)
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    with pytest.raises(MnistError) as refused:
        jobs.start(recipe="tutorial")
    message = str(refused.value)
    assert message == (f"The environment variable MNIST_TRAIN_RECIPES names {unknown}; list "
                       "some of tutorial, quick, strong (comma-separated), or leave it empty to "
                       "switch training off.")
    assert jobs.snapshot().status == "idle" and model_files(tmp_path) == []
