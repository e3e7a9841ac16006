"""The Train view through `AppTest`: a stranger's training is read-only, the owner may cancel,
and the deployer's limits shape and refuse the settings.

The server's training manager is a real `TrainingJobs` whose state the test sets, so no training
process runs here; test_jobs.py drives real ones.
"""

import time


from mnist_core.jobs.training_jobs import JobState
from tests.app_kit import start as app_start
from ui.session_keys import (CANCEL_BUTTON, EPOCHS, LANGUAGE, OPEN_TAB, OWNER, RECIPE, TRAIN_BUTTON,
                             TRAIN_IMAGES)


def running(owner, seconds_left=42.0):
    """A snapshot-able state: tutorial, epoch 2 of 10, 300 of 938 batches, `seconds_left` to go."""
    now = time.time()
    return JobState(status="running", settings={"recipe": "tutorial", "epochs": 10,
                                                "batch_size": 64, "limit": None, "seed": 1},
                    epoch=2, epochs=10, step=300, steps=938, started=now - 30, job_id=1,
                    owner=owner, trained_since=now - 20, progressed=now,
                    running={"loss": 0.1, "accuracy": 0.97})


def start():
    return app_start(**{OPEN_TAB: "train"})  # only the open tab is computed


def train_tab(at):
    return at.tabs[1]


def test_a_strangers_training_is_shown_read_only_with_progress_and_time_left(jobs):
    jobs._state = running(owner="someone-else")
    at = start()
    tab = train_tab(at)
    assert at.button(key=TRAIN_BUTTON).disabled
    assert CANCEL_BUTTON not in [button.key for button in at.button]
    assert any("Another visitor started this training" in info.value for info in tab.info)
    bar = tab.get("progress")[0]
    assert "Epoch 2/10 · batch 300/938" in bar.text and "s left" in bar.text
    assert any("recipe tutorial" in caption.value for caption in tab.caption)


def test_the_owner_sees_cancel_enabled_and_cancelling_reaches_the_job(jobs):
    at = start()
    owner = at.session_state[OWNER]
    assert len(owner) == 32
    jobs._state = running(owner=owner)
    at.run()
    assert not at.button(key=CANCEL_BUTTON).disabled
    assert not train_tab(at).info
    at.button(key=CANCEL_BUTTON).click().run()
    assert jobs._commands.get_nowait() == "cancel"


def test_only_allowed_recipes_are_offered_and_over_limit_settings_are_refused(jobs, monkeypatch):
    monkeypatch.setenv("MNIST_TRAIN_RECIPES", "quick,strong")
    monkeypatch.setenv("MNIST_MAX_TRAIN_IMAGE_EPOCHS", "100000")
    at = start()
    assert at.selectbox(key=RECIPE).options == ["quick", "strong"]
    assert at.number_input(key=EPOCHS).value == 1  # quick's default (issue 24)
    assert not at.button(key=TRAIN_BUTTON).disabled
    at.number_input(key=EPOCHS).set_value(2).run()
    assert at.button(key=TRAIN_BUTTON).disabled
    warning = " ".join(w.value for w in train_tab(at).warning)
    assert "2 × 60,000 training images is more than this server allows (100,000" in warning
    assert any("at most 100,000 epochs × images" in c.value for c in train_tab(at).caption)
    at.select_slider(key=TRAIN_IMAGES).set_value(30000).run()
    assert not at.button(key=TRAIN_BUTTON).disabled and not train_tab(at).warning


def test_training_switched_off_says_so_and_offers_no_train_button(jobs, monkeypatch):
    monkeypatch.setenv("MNIST_TRAIN_RECIPES", "")
    at = start()
    assert "train" not in [button.key for button in at.button]
    assert any("Training is switched off on this server" in i.value for i in train_tab(at).info)


def test_limit_texts_are_french_too(jobs, monkeypatch):
    monkeypatch.setenv("MNIST_MAX_TRAIN_IMAGE_EPOCHS", "100000")
    at = start()
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    warning = " ".join(w.value for w in train_tab(at).warning)
    assert "c'est plus que ce serveur n'autorise (100\u202f000 époques × images" in warning


def test_an_unknown_recipe_in_the_setting_is_one_sentence_on_the_train_tab_and_in_the_log(
        jobs, monkeypatch, caplog):
    # issue 22 (B6): `tutorial,QUICK` offered the tutorial alone, `../x` switched training off,
    # and nothing said why.
    import ui.resources

    monkeypatch.setenv("MNIST_TRAIN_RECIPES", "tutorial,QUICK")
    at = start()
    assert not at.exception, at.exception
    said = [e.value for e in train_tab(at).error]
    assert len(said) == 1 and said[0].startswith(
        "The environment variable MNIST_TRAIN_RECIPES names 'QUICK', which is not a recipe;")
    assert TRAIN_BUTTON not in [button.key for button in at.button]
    with caplog.at_level("WARNING"):
        assert ui.resources.log_unusable_settings() == [said[0]]
    assert said[0] in caplog.text


def test_a_training_another_process_holds_is_not_said_to_show_below(jobs):
    # issue 23 (several processes): behind nginx (scripts/serve_many.py) a training started from
    # another process holds the models folder, and this process cannot show its progress.
    from mnist_core import models_folder

    at = start()
    with models_folder.locked(jobs.models_dir) as held:
        assert held
        at.button(key=TRAIN_BUTTON).click().run()
    warned = [warning.value for warning in at.warning]
    assert any("Another visitor's training is using the models folder" in w for w in warned)
    assert not any("shown below" in w for w in warned), warned


def test_the_training_process_runs_as_far_below_the_server_as_the_deployer_says(
        monkeypatch, tmp_path, caplog):
    # Two busy programs at normal priority on 2 cores left a nice-19 training loading MNIST for
    # minutes (the browser trainings under CI's other worker): a deployer may lower it.
    import ui.resources
    from mnist_core.jobs.training_jobs import CHILD_NICE

    made = ui.resources.training_jobs.__wrapped__  # the server's own, not its cached one
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("MNIST_TRAINING_SPARE", "0")
    monkeypatch.delenv("MNIST_TRAINING_NICE", raising=False)
    assert made()._nice == CHILD_NICE == 19
    monkeypatch.setenv("MNIST_TRAINING_NICE", "0")
    assert made()._nice == 0
    monkeypatch.setenv("MNIST_TRAINING_NICE", "-5")  # above the server: refused, logged
    with caplog.at_level("WARNING"):
        assert made()._nice == CHILD_NICE
    assert "MNIST_TRAINING_NICE='-5' is not usable (must be a whole number from 0 to 19)" \
        in caplog.text
