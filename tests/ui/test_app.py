"""The Streamlit page through `AppTest`: loading, drawing (injected canvas values), tabs, uploads,
languages, training. The fake canvas and the other helpers are in app_kit.py.
"""

import base64
import re
import time

import numpy as np
import pytest
from PIL import Image

from tests.app_kit import canvas_of, open_tab, png_data_url, start, upload
from tests.conftest import FIXTURES
from ui.session_keys import (BATCH_SIZE, CLEAR_CANVAS, EPOCHS, LANGUAGE, MODEL_CHOICE, OPEN_TAB,
                             RECIPE, TAB_BAR, TEST_INDEX, TRAIN_BUTTON, TRAIN_IMAGES)


def test_first_visit_selects_the_default_model_and_asks_for_a_digit(models, canvas):
    at = start()
    assert at.sidebar.selectbox(key=MODEL_CHOICE).value == str(models / "tutorial.keras")
    draw = at.tabs[0]
    assert any("The canvas is empty" in info.value for info in draw.info)
    assert not draw.metric  # no guess on an empty canvas
    assert "99.04%" in " ".join(c.value for c in at.sidebar.caption)


def test_predicts_injected_canvas_pixels_and_the_clear_button_empties_the_canvas(models, canvas,
                                                                                mnist):
    (_, _), (x_test, y_test) = mnist
    at = start()
    canvas(canvas_of(x_test[0]))
    at.run()
    draw = at.tabs[0]
    assert draw.metric[0].label == "Predicted digit" and draw.metric[0].value == "7"
    assert draw.image, "the 28x28 image the model saw is shown"
    # The one-line answer for phones, above the canvas (shown by CSS on narrow screens only).
    assert any("Predicted: **7**" in md.value for md in draw.markdown)
    at.button(key=CLEAR_CANVAS).click().run()
    assert not at.tabs[0].metric
    assert any("The canvas is empty" in info.value for info in at.tabs[0].info)
    assert any(md.value == "Predicted: –" for md in at.tabs[0].markdown)


def number_canvas(x_test, indices):
    """A 280x280 canvas with MNIST test digits `indices` side by side, apart, left to right."""
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    for slot, index in enumerate(indices):
        digit = np.asarray(Image.fromarray(x_test[index]).resize((64, 64), Image.BILINEAR))
        rgba[100:164, 10 + 66 * slot:74 + 66 * slot, :3] = np.maximum(
            rgba[100:164, 10 + 66 * slot:74 + 66 * slot, :3], digit[..., None])
    return rgba


def test_several_digits_side_by_side_are_read_as_a_number_with_each_digit_shown(models, canvas,
                                                                              mnist):
    (_, _), (x_test, y_test) = mnist
    indices = [1, 0, 3]  # test digits 2, 7, 0
    expected = "".join(str(y_test[i]) for i in indices)
    at = start()
    canvas(number_canvas(x_test, indices))
    at.run()
    draw = at.tabs[0]
    assert draw.metric[0].label == "Number read" and draw.metric[0].value == expected
    assert len(draw.image) == 3, "each digit's 28x28 image is shown"
    assert any(f"Read: **{expected}**" in md.value for md in draw.markdown)
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert at.tabs[0].metric[0].label == "Nombre lu"


def test_a_canvas_full_of_marks_shows_a_dozen_digits_in_detail_not_hundreds(models, canvas):
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    for row in range(7):
        for column in range(7):  # 49 equal bars: 49 "digits"
            rgba[8 + 38 * row:36 + 38 * row, 10 + 38 * column:18 + 38 * column, :3] = 255
    at = start()
    canvas(rgba)
    at.run()
    draw = at.tabs[0]
    assert len(draw.metric[0].value) == 49
    assert len(draw.image) == 12
    assert any("The first 12 of its 49 digits" in c.value for c in draw.caption)


def test_a_blank_canvas_asks_for_a_digit(models, canvas):
    at = start()
    canvas(np.zeros((280, 280, 4), dtype=np.uint8))  # the toolbar's bin: an empty canvas again
    at.run()
    assert not at.tabs[0].metric
    assert any("The canvas is empty" in info.value for info in at.tabs[0].info)


@pytest.mark.parametrize("value", [
    "data:image/png;base64," + "A" * 2_000_000,  # far longer than the canvas can send
    "data:image/png;base64,not base64 at all!",
    "data:text/html;base64,PGI+aGk8L2I+",
    "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 50).decode(),
])
def test_a_canvas_value_the_page_cannot_have_sent_gets_one_sentence(models, canvas, value):
    at = start()
    canvas(value)
    at.run()
    assert not at.exception
    assert [w.value for w in at.tabs[0].warning] == [
        "The drawing could not be read: press Clear and draw again."]
    assert not at.tabs[0].metric


def test_a_canvas_image_larger_than_the_canvas_is_refused_before_it_is_decoded(models, canvas,
                                                                            monkeypatch):
    import PIL.Image

    at = start()
    canvas(png_data_url(np.zeros((2000, 100, 4), dtype=np.uint8)))  # 2000 px: not this canvas
    decoded = []
    original = PIL.Image.Image.load
    monkeypatch.setattr(PIL.Image.Image, "load",
                        lambda self: decoded.append(self.size) or original(self))
    at.run()
    assert not at.exception
    assert any("could not be read" in w.value for w in at.tabs[0].warning)
    assert (100, 2000) not in decoded, "the pixels were decoded before the size was checked"


def test_language_switch_translates_the_page(models, canvas, mnist):
    (_, _), (x_test, _) = mnist
    canvas(canvas_of(x_test[0]))
    at = start()
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert at.title[0].value == "Chiffres manuscrits avec Keras"
    assert at.tabs[0].metric[0].label == "Chiffre prédit"
    assert [tab.label for tab in at.tabs] == [":material/draw: Dessiner", ":material/model_training: Entraîner",
                                          ":material/search: Explorer"]
    assert any("Prédit : **7**" in md.value for md in at.tabs[0].markdown)
    assert any(b.label == "Effacer" for b in at.tabs[0].button)
    open_tab(at, "explore", "fr")
    assert any("Le chiffre prédit est : 7" in md.value for md in at.tabs[2].markdown)
    open_tab(at, "train", "fr")
    assert any(c.value.startswith("Le CNN du tutoriel") for c in at.tabs[1].caption)


def test_only_the_open_tab_is_computed(models, canvas):
    at = start()
    assert at.session_state[OPEN_TAB] == "draw"
    assert at.tabs[0].children and not at.tabs[1].children and not at.tabs[2].children
    open_tab(at, "explore")
    assert at.session_state[OPEN_TAB] == "explore"
    assert at.tabs[2].metric and not at.tabs[0].children and not at.tabs[1].children
    open_tab(at, "train")
    assert at.button(key=TRAIN_BUTTON) and not at.tabs[0].children and not at.tabs[2].children


def test_the_open_tab_stays_open_when_the_language_changes(models, canvas):
    at = start()
    open_tab(at, "explore")
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert at.session_state[TAB_BAR] == ":material/search: Explorer"
    # The model's report below the tutorial's step adds its own figures once it is ready.
    assert {m.label for m in at.tabs[2].metric} & {"Chiffre prédit", "Vrai chiffre",
                                                   "Predicted digit"} == {"Chiffre prédit", "Vrai chiffre"}
    assert not at.tabs[0].children
    at.sidebar.radio(key=LANGUAGE).set_value("en").run()
    assert at.session_state[TAB_BAR] == ":material/search: Explore"
    assert {m.label for m in at.tabs[2].metric} & {"Predicted digit", "True label",
                                                   "Chiffre prédit"} == {"Predicted digit", "True label"}


def test_every_text_has_a_french_version_with_the_same_blanks():
    import string

    from ui.texts import TEXTS

    assert set(TEXTS["fr"]) == set(TEXTS["en"])
    for key, english in TEXTS["en"].items():
        blanks = {name for _, name, _, _ in string.Formatter().parse(english) if name}
        assert blanks == {name for _, name, _, _ in string.Formatter().parse(TEXTS["fr"][key])
                          if name}, key


def test_explore_shows_the_tutorials_last_step(models, canvas, mnist, monkeypatch):
    import ui.test_set_view

    monkeypatch.setattr(ui.test_set_view, "REPORT_WAIT_SECONDS", 0.0)  # its report: elsewhere
    at = open_tab(start(), "explore")
    explore = at.tabs[2]
    labels = {m.label: m.value for m in explore.metric}
    assert labels["True label"] == "7" and labels["Predicted digit"] == "7"
    assert any("The predicted digit is: 7" in md.value for md in explore.markdown)
    assert len(explore.image) == 3  # the prediction figure and the two learning curves, first
    at.number_input(key=TEST_INDEX).set_value(1).run()
    assert {m.label: m.value for m in at.tabs[2].metric}["True label"] == "2"


@pytest.mark.process
@pytest.mark.parametrize("name, content, words", [
    ("notes.keras", b"plain text", "is not a Keras model"),
    ("lambda.h5", (FIXTURES / "lambda_tf_keras2.h5").read_bytes(), "Lambda layer"),
])
def test_a_bad_upload_is_refused_and_the_page_keeps_working(models, canvas, name, content, words):
    _, at = upload(start(), name, content)
    assert any(words in e.value for e in at.sidebar.error)
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()  # said in French, the check quoted
    assert [e.value for e in at.sidebar.error if e.value.startswith(
        f"Fichier refusé. La vérification dit, en anglais : « {name} ")]
    assert at.sidebar.selectbox(key=MODEL_CHOICE).value == str(models / "tutorial.keras")
    assert not at.exception


@pytest.mark.process
def test_a_good_upload_becomes_the_model(models, canvas):
    content = (FIXTURES / "tutorial_tf_keras2.h5").read_bytes()
    first, at = upload(start(), "mnist_model.h5", content)
    # While it is checked, the page answered at once with the model it had, and said so.
    assert any(c.startswith("Checking mnist_model.h5: ") and "Keep drawing" in c for c in first)
    assert at.sidebar.selectbox(key=MODEL_CHOICE).value == "uploaded"
    assert any("mnist_model.h5" in s.value for s in at.sidebar.success)
    facts = " ".join(c.value for c in at.sidebar.caption)
    assert "unknown" not in facts
    assert "7 layers · 225,034 parameters · input 28×28×1" in facts, facts


@pytest.mark.process
def test_an_uploads_line_gives_its_measured_accuracy_in_the_pages_language(models, canvas, mnist):
    content = (FIXTURES / "tutorial_tf_keras2.h5").read_bytes()
    _, at = upload(start(), "mnist_model.h5", content)
    line = lambda: " ".join(c.value for c in at.sidebar.caption)  # noqa: E731
    deadline = time.monotonic() + 120
    while "test accuracy being measured" in line() and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert re.search(r"test accuracy \d+\.\d\d% · 7 layers · 225,034 parameters", line()), line()
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    assert re.search("précision sur le test \\d+,\\d\\d\u202f% · 7 couches · 225\u202f034 "
                     "paramètres · entrée 28×28×1", line()), line()
    assert "inconnu" not in line()


@pytest.mark.slow
def test_one_epoch_training_on_a_small_subset_saves_and_lists_the_model(models, canvas, mnist):
    at = open_tab(start(), "train")
    at.number_input(key=EPOCHS).set_value(1)
    at.select_slider(key=TRAIN_IMAGES).set_value(2000)
    at.button(key=TRAIN_BUTTON).click().run()
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
    options = at.sidebar.selectbox(key=MODEL_CHOICE).options
    assert any(saved[0].removesuffix(".keras") in option for option in options)
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
    at = open_tab(start(), "train")
    assert at.number_input(key=EPOCHS).value == 10 and at.number_input(key=BATCH_SIZE).value == 64
    at.selectbox(key=RECIPE).set_value("quick").run()
    assert at.number_input(key=EPOCHS).value == 1 and at.number_input(key=BATCH_SIZE).value == 128
    at.selectbox(key=RECIPE).set_value("tutorial").run()
    assert at.number_input(key=EPOCHS).value == 10


@pytest.mark.process
def test_a_refused_upload_is_remembered_so_a_rerun_checks_nothing(models, canvas, monkeypatch):
    from mnist_core.untrusted import loader as untrusted

    untrusted.refusals.clear()
    checked = []
    check = untrusted._static_check
    monkeypatch.setattr(untrusted, "_static_check", lambda path, name: (checked.append(name),
                                                                       check(path, name)))
    content = (FIXTURES / "lambda_tf_keras2.h5").read_bytes()
    _, at = upload(start(), "my lambda.h5", content)
    at.run()  # a canvas stroke or any widget reruns the whole page
    errors = [e.value for e in at.sidebar.error]
    assert errors and errors[0].startswith("my lambda.h5 contains a Lambda layer")
    assert checked == ["my lambda.h5"]
    untrusted.refusals.clear()
