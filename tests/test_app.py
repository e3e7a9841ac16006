"""The Streamlit page through `AppTest`: loading, drawing (injected pixels), uploads, languages, training.

AppTest cannot draw on the custom canvas, so these tests replace `ui.draw.st_canvas` with a fake
that returns chosen pixels; the browser tests (test_browser.py) draw real strokes.
"""

import shutil
import time
import types

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import FIXTURES, ROOT

APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def models(tmp_path, monkeypatch):
    """A private models/ folder holding a copy of the default model; fresh caches."""
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, folder / name)
    monkeypatch.setenv("MNIST_MODELS_DIR", str(folder))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield folder
    st.cache_resource.clear()


@pytest.fixture
def canvas(monkeypatch):
    """Sets what the fake canvas returns: `canvas(pixels)`; None (never drawn) at first."""
    import ui.draw

    drawn = {"pixels": None}
    monkeypatch.setattr(ui.draw, "st_canvas",
                        lambda **kwargs: types.SimpleNamespace(image_data=drawn["pixels"]))
    return lambda pixels: drawn.update(pixels=pixels)


def canvas_of(digit_image):
    """A 280x280 RGBA canvas like the real one: white stroke on an opaque black background."""
    big = np.asarray(Image.fromarray(digit_image).resize((200, 200), Image.BILINEAR))
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[50:250, 30:230, :3] = big[..., None]
    return rgba


def start(**kwargs):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_first_visit_selects_the_default_model_and_asks_for_a_digit(models, canvas):
    at = start()
    assert at.sidebar.selectbox(key="model_choice").value == str(models / "tutorial.keras")
    draw = at.tabs[0]
    assert any("The canvas is empty" in info.value for info in draw.info)
    assert not draw.metric  # no guess on an empty canvas
    assert "99.04%" in " ".join(c.value for c in at.sidebar.caption)


def test_predicts_injected_canvas_pixels_and_clears_with_the_canvas(models, canvas, mnist):
    (_, _), (x_test, y_test) = mnist
    at = start()
    canvas(canvas_of(x_test[0]))
    at.run()
    draw = at.tabs[0]
    assert draw.metric[0].label == "Predicted digit" and draw.metric[0].value == "7"
    assert draw.image, "the 28x28 image the model saw is shown"
    canvas(np.zeros((280, 280, 4), dtype=np.uint8))  # the bin button: an empty canvas again
    at.run()
    assert not at.tabs[0].metric
    assert any("The canvas is empty" in info.value for info in at.tabs[0].info)


def test_language_switch_translates_the_page(models, canvas, mnist):
    (_, _), (x_test, _) = mnist
    canvas(canvas_of(x_test[0]))
    at = start()
    at.sidebar.radio(key="language").set_value("fr").run()
    assert at.title[0].value == "Chiffres manuscrits avec Keras"
    assert at.tabs[0].metric[0].label == "Chiffre prédit"
    assert any("Le chiffre prédit est : 7" in md.value for md in at.tabs[2].markdown)
    assert [tab.label for tab in at.tabs] == [":material/draw: Dessiner", ":material/model_training: Entraîner",
                                          ":material/search: Explorer"]
    assert any(c.value.startswith("Le CNN du tutoriel") for c in at.tabs[1].caption)


def test_every_text_has_a_french_version_with_the_same_blanks():
    import string

    from ui.texts import TEXTS

    assert set(TEXTS["fr"]) == set(TEXTS["en"])
    for key, english in TEXTS["en"].items():
        blanks = {name for _, name, _, _ in string.Formatter().parse(english) if name}
        assert blanks == {name for _, name, _, _ in string.Formatter().parse(TEXTS["fr"][key])
                          if name}, key


def test_explore_shows_the_tutorials_last_step(models, canvas, mnist):
    at = start()
    explore = at.tabs[2]
    labels = {m.label: m.value for m in explore.metric}
    assert labels["True label"] == "7" and labels["Predicted digit"] == "7"
    assert any("The predicted digit is: 7" in md.value for md in explore.markdown)
    assert len(explore.image) == 3  # the prediction figure and the two learning curves
    at.number_input(key="test_index").set_value(1).run()
    assert {m.label: m.value for m in at.tabs[2].metric}["True label"] == "2"


@pytest.mark.parametrize("name, content, words", [
    ("notes.keras", b"plain text", "is not a Keras model"),
    ("lambda.h5", (FIXTURES / "lambda_tf_keras2.h5").read_bytes(), "Lambda layer"),
])
def test_a_bad_upload_is_refused_and_the_page_keeps_working(models, canvas, name, content, words):
    at = start()
    at.sidebar.file_uploader(key="upload").set_value((name, content, "application/octet-stream"))
    at.run()
    assert any(words in e.value for e in at.sidebar.error)
    assert at.sidebar.selectbox(key="model_choice").value == str(models / "tutorial.keras")
    assert not at.exception


def test_a_good_upload_becomes_the_model(models, canvas):
    at = start()
    content = (FIXTURES / "tutorial_tf_keras2.h5").read_bytes()
    at.sidebar.file_uploader(key="upload").set_value(("mnist_model.h5", content, "application/x-hdf5"))
    at.run()
    assert at.sidebar.selectbox(key="model_choice").value == "uploaded"
    assert any("mnist_model.h5" in s.value for s in at.sidebar.success)


@pytest.mark.slow
def test_one_epoch_training_on_a_small_subset_saves_and_lists_the_model(models, canvas, mnist):
    at = start()
    at.number_input(key="epochs").set_value(1)
    at.number_input(key="train_images").set_value(2000)
    at.button(key="train").click().run()
    deadline = time.time() + 300
    while time.time() < deadline:
        at.run()
        if any("Finished: test accuracy" in s.value for s in at.success):
            break
        time.sleep(1)
    else:
        pytest.fail("training did not finish in time")
    saved = sorted(p.name for p in models.glob("tutorial-*.keras"))
    assert len(saved) == 1
    at.run()  # the model list refreshes once the job is done
    options = at.sidebar.selectbox(key="model_choice").options
    assert any(saved[0] in option for option in options)
    assert not at.exception


def test_streamlit_cleanup_keeps_keras_state_but_still_closes_pyplot(monkeypatch):
    import keras
    import matplotlib.pyplot as plt
    from streamlit.runtime.scriptrunner import script_runner

    from ui.runtime import keep_keras_state

    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    current = script_runner._clean_problem_modules  # the app may have patched it already
    monkeypatch.setattr(script_runner, "_clean_problem_modules", getattr(current, "original", current))
    script_runner._clean_problem_modules()
    assert cleared, "Streamlit's own cleanup clears the Keras session"
    cleared.clear()
    assert keep_keras_state() and keep_keras_state()  # idempotent
    plt.figure()
    script_runner._clean_problem_modules()
    assert cleared == [] and plt.get_fignums() == []


def test_choosing_a_recipe_brings_its_epochs_and_batch_size(models, canvas):
    at = start()
    assert at.number_input(key="epochs").value == 10 and at.number_input(key="batch_size").value == 64
    at.selectbox(key="recipe").set_value("quick").run()
    assert at.number_input(key="epochs").value == 3 and at.number_input(key="batch_size").value == 128
    at.selectbox(key="recipe").set_value("tutorial").run()
    assert at.number_input(key="epochs").value == 10


def test_a_refused_upload_is_remembered_so_a_rerun_checks_nothing(models, canvas, monkeypatch):
    from mnist_core import untrusted

    untrusted.refusals.clear()
    checked = []
    check = untrusted._static_check
    monkeypatch.setattr(untrusted, "_static_check", lambda path, name: (checked.append(name),
                                                                       check(path, name)))
    at = start()
    content = (FIXTURES / "lambda_tf_keras2.h5").read_bytes()
    at.sidebar.file_uploader(key="upload").set_value(("my lambda.h5", content, "application/x-hdf5"))
    at.run()
    at.run()  # a canvas stroke or any widget reruns the whole page
    errors = [e.value for e in at.sidebar.error]
    assert errors and errors[0].startswith("my lambda.h5 contains a Lambda layer")
    assert checked == ["my lambda.h5"]
    untrusted.refusals.clear()
