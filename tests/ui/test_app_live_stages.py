"""The Train panel through `AppTest`, from hand-made snapshots: each stage of a training named
on its progress bar (setup, batches, validation, the end), the charts on one axis in epochs, a
finished training shown to its owner alone (others get a line under the model list), the
form's numbers in the page's language, and no Streamlit warning when a recipe is chosen."""

import dataclasses
import logging
import shutil
import time

import pytest
from streamlit.elements.lib import policies

from mnist_core.jobs.state import PREPARING, VALIDATING
from tests.live_states import chart_layers, live_state
from tests.ui.test_app_train import start, train_tab
from ui.session_keys import BATCH_SIZE, EPOCHS, LANGUAGE, OWNER, RECIPE, TRAIN_IMAGES

NEW_MODEL = "quick-20261203-060000.keras"


def bar_text(at):
    return train_tab(at).get("progress")[0].text


def stage(state, **changes):
    return dataclasses.replace(state, **changes)


@pytest.mark.parametrize("changes, words, estimated", [
    ({"status": "loading", "stage": "", "epoch": 0, "step": 0},
     "Setting up 1/2: starting the training process and loading MNIST", False),
    ({"stage": PREPARING, "epoch": 1, "step": 0, "trained_since": None},
     "Setting up 2/2: building the model and compiling its first batches", False),
    ({"stage": VALIDATING},
     "Epoch 3/10 · checking this epoch's model on the validation images", True),
    ({"status": "saving"}, "Finishing: scoring the new model and saving it", False),
])
def test_each_stage_of_a_training_is_named_on_its_progress_bar(jobs, changes, words, estimated):
    jobs._state = stage(live_state(owner="someone-else"), **changes)
    at = start()
    assert bar_text(at).startswith(words), bar_text(at)
    assert "s elapsed" in bar_text(at) and ("s left" in bar_text(at)) == estimated


def test_a_setup_past_a_minute_says_the_server_is_busy_and_a_training_comes_last(jobs):
    # A training runs below the server (MNIST_TRAINING_NICE): on a busy machine its setup
    # waits for the CPU, and "Setting up 1/2 · 120 s elapsed" alone said nothing of why.
    loading = stage(live_state(owner="someone-else"), status="loading", stage="", epoch=0,
                    step=0, started=time.time() - 20)
    jobs._state = loading
    at = start()
    assert "busy" not in bar_text(at), bar_text(at)
    jobs._state = stage(loading, started=time.time() - 90)
    at.run()
    assert bar_text(at).endswith(
        "s elapsed · taking longer than usual: the server is busy, and a training runs after "
        "everything else"), bar_text(at)
    jobs._state = stage(loading, stage=PREPARING, status="running", epoch=1, trained_since=None,
                        started=time.time() - 90)
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert bar_text(at).startswith("Préparation 2/2") and bar_text(at).endswith(
        "plus long que d'habitude : le serveur est chargé, et un entraînement passe après tout "
        "le reste"), bar_text(at)
    jobs._state = stage(live_state(owner="someone-else"), started=time.time() - 900)
    at.run()
    assert "habitude" not in bar_text(at)  # the batches are no setup, however long it took


def test_the_batches_show_their_number_and_the_time_left_in_french_too(jobs):
    jobs._state = live_state(owner="someone-else")
    at = start()
    assert bar_text(at).startswith("Epoch 3/10 · batch 300/938 ·") and "s left" in bar_text(at)
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert "Époque 3/10 · lot 300/938" in bar_text(at) and "encore environ" in bar_text(at)
    jobs._state = stage(jobs._state, stage=PREPARING, step=0, trained_since=None)
    at.run()
    assert bar_text(at).startswith("Préparation 2/2 : construction du modèle")
    captions = [caption.value for caption in train_tab(at).caption]
    assert any("lot 64 · 60\u202f000 images" in caption for caption in captions), captions


def test_a_one_epoch_training_charts_its_batches_and_its_epoch_on_one_axis_from_zero(jobs):
    state = live_state(owner="someone-else")
    jobs._state = stage(state, epochs=1, epoch=1, step=40, steps=47, history={}, latest=None,
                        curve=[{"x": round(i / 47, 4), "loss": 1.0 / i, "accuracy": 0.5}
                               for i in range(2, 41, 2)])
    at = start()
    charts = [e for e in train_tab(at) if getattr(e, "type", "") == "vega_lite_chart"]
    spec, layers = chart_layers(charts[0])
    x = spec["layer"][0]["encoding"]["x"]
    assert x["scale"]["domain"] == [0, 1] and x["title"] == "Epochs"
    assert x["axis"]["format"] == "~g"  # 0.2, 0.4...: a one-epoch axis is not just "0" and "1"
    xs = [point["x"] for point in layers[0]]
    assert min(xs) < 0.05 and max(xs) < 1  # the curve starts at the left


@pytest.fixture
def finished(jobs, models):
    """Someone's training has just finished: its model is on disk, its snapshot `done`."""
    for suffix in (".keras", ".json"):
        shutil.copy(models / f"tutorial{suffix}", models / NEW_MODEL.replace(".keras", suffix))

    def done(owner, minutes_ago=2.2):
        jobs._state = stage(live_state(owner=owner), status="done", test_accuracy=0.9312,
                            model_path=str(models / NEW_MODEL),
                            finished=time.time() - 60 * minutes_ago)
    return done


def test_someone_elses_finished_training_is_a_line_by_the_model_list_not_a_train_panel(
        finished):
    finished(owner="someone-else")
    at = start()
    tab = train_tab(at)
    assert not tab.success and not tab.get("image") and not tab.get("progress")
    assert not [e for e in tab if getattr(e, "type", "") == "vega_lite_chart"]
    assert not any(m.value.startswith("**The model after epoch") for m in tab.markdown)
    assert any("Press Train to start" in caption.value for caption in tab.caption)
    lines = [caption.value for caption in at.sidebar.caption if "New:" in caption.value]
    assert lines == [f":material/fiber_new: New: {NEW_MODEL}, trained by a visitor 2 min ago."]
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert any(f"Nouveau : {NEW_MODEL}, entraîné par un visiteur il y a 2 min." in c.value
               for c in at.sidebar.caption)


def test_the_owner_sees_their_finished_training_and_no_news_line(finished):
    at = start()
    finished(owner=at.session_state[OWNER], minutes_ago=0.1)
    at.run()
    assert any(s.value.startswith("Finished: test accuracy 93.12%") for s in train_tab(at).success)
    assert len(train_tab(at).get("image")) == 3  # the grid, the filters, their drawing read
    assert not any("New:" in caption.value for caption in at.sidebar.caption)


def test_an_old_news_line_goes(finished):
    finished(owner="someone-else", minutes_ago=61)
    at = start()
    assert not any("New:" in caption.value for caption in at.sidebar.caption)


def test_the_training_images_are_written_as_the_page_writes_numbers(jobs):
    at = start()
    assert at.select_slider(key=TRAIN_IMAGES).value == 60_000
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    slider = at.select_slider(key=TRAIN_IMAGES)
    assert "60\u202f000" in slider.options and "2\u202f000" in slider.options
    slider.set_value(2_000).run()
    assert at.select_slider(key=TRAIN_IMAGES).value == 2_000


def test_choosing_a_recipe_logs_no_streamlit_warning(jobs, caplog, monkeypatch):
    # Streamlit logs this warning once per process: forget that it did.
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    at = start()
    with caplog.at_level(logging.WARNING, logger="streamlit"):
        at.selectbox(key=RECIPE).set_value("quick").run()
    assert at.number_input(key=EPOCHS).value == 1 and at.number_input(key=BATCH_SIZE).value == 128
    warned = [r.getMessage() for r in caplog.records if "Session State API" in r.getMessage()]
    assert not warned
