"""The Streamlit page through `AppTest`: loading, drawing (injected pixels), uploads, languages, training.

AppTest cannot draw on the custom canvas, so these tests replace `ui.draw.st_canvas` with a fake
that returns what the browser would send, a PNG data URL of chosen pixels; the browser tests
(test_browser.py) draw real strokes. Only the open tab is computed, so a test opens the tab it
reads with `open_tab()`.
"""

import base64
import io
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
    """Sets what the fake canvas sends: `canvas(pixels)` (an RGBA array, sent as a PNG data URL
    as the browser does) or `canvas("data:...")` (any text); None (never drawn) at first.

    The fake keeps the value where the real result keeps it (`_image_data_url`), and its
    `image_data` fails the test: the page must never decode the value without limits.
    """
    import ui.draw

    drawn = {"url": None, "key": None}

    class FakeResult(types.SimpleNamespace):
        @property
        def image_data(self):
            pytest.fail("the page decoded the canvas value through image_data, without limits")

    def fake_canvas(**kwargs):
        if drawn["key"] not in (None, kwargs["key"]):
            drawn["url"] = None  # a canvas under a new key starts empty, as in the browser
        drawn["key"] = kwargs["key"]
        return FakeResult(_image_data_url=drawn["url"])

    monkeypatch.setattr(ui.draw, "st_canvas", fake_canvas)
    return lambda value: drawn.update(url=value if value is None or isinstance(value, str)
                                      else png_data_url(value))


def png_data_url(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def open_tab(at, name, language="en"):
    """Opens tab `name` ('draw', 'train' or 'explore') as a click on it would, and reruns."""
    from ui.texts import text

    at.session_state["tabs"] = text(language, f"tab_{name}")
    return at.run()


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
    at.button(key="clear_canvas").click().run()
    assert not at.tabs[0].metric
    assert any("The canvas is empty" in info.value for info in at.tabs[0].info)
    assert any(md.value == "Predicted: –" for md in at.tabs[0].markdown)


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
    at.sidebar.radio(key="language").set_value("fr").run()
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
    assert at.session_state["open_tab"] == "draw"
    assert at.tabs[0].children and not at.tabs[1].children and not at.tabs[2].children
    open_tab(at, "explore")
    assert at.session_state["open_tab"] == "explore"
    assert at.tabs[2].metric and not at.tabs[0].children and not at.tabs[1].children
    open_tab(at, "train")
    assert at.button(key="train") and not at.tabs[0].children and not at.tabs[2].children


def test_the_open_tab_stays_open_when_the_language_changes(models, canvas):
    at = start()
    open_tab(at, "explore")
    at.sidebar.radio(key="language").set_value("fr").run()
    assert at.session_state["tabs"] == ":material/search: Explorer"
    assert {m.label for m in at.tabs[2].metric} == {"Chiffre prédit", "Vrai chiffre"}
    assert not at.tabs[0].children
    at.sidebar.radio(key="language").set_value("en").run()
    assert at.session_state["tabs"] == ":material/search: Explore"
    assert {m.label for m in at.tabs[2].metric} == {"Predicted digit", "True label"}


def test_every_text_has_a_french_version_with_the_same_blanks():
    import string

    from ui.texts import TEXTS

    assert set(TEXTS["fr"]) == set(TEXTS["en"])
    for key, english in TEXTS["en"].items():
        blanks = {name for _, name, _, _ in string.Formatter().parse(english) if name}
        assert blanks == {name for _, name, _, _ in string.Formatter().parse(TEXTS["fr"][key])
                          if name}, key


def test_explore_shows_the_tutorials_last_step(models, canvas, mnist):
    at = open_tab(start(), "explore")
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
    at = open_tab(start(), "train")
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
    at = open_tab(start(), "train")
    assert at.number_input(key="epochs").value == 10 and at.number_input(key="batch_size").value == 64
    at.selectbox(key="recipe").set_value("quick").run()
    assert at.number_input(key="epochs").value == 3 and at.number_input(key="batch_size").value == 128
    at.selectbox(key="recipe").set_value("tutorial").run()
    assert at.number_input(key="epochs").value == 10


# ---- MNIST unreachable --------------------------------------------------------------------------

@pytest.fixture
def unreachable_mnist(monkeypatch):
    """MNIST cannot be loaded: `load_data` fails as with no network, and counts its calls."""
    import mnist_core.data
    from mnist_core.errors import DataUnavailableError

    calls = []

    def fail(*args, **kwargs):
        calls.append(1)
        raise DataUnavailableError("Could not load MNIST: every source failed; download it and "
                                   "pass it with --data PATH (or set MNIST_PATH=PATH).")

    monkeypatch.setattr(mnist_core.data, "load_data", fail)
    return calls


def test_a_failed_mnist_load_is_remembered_and_said_in_the_visitors_words(
        models, canvas, unreachable_mnist, mnist):
    (_, _), (x_test, _) = mnist
    at = start()
    canvas(canvas_of(x_test[0]))
    at.run()
    assert at.tabs[0].metric[0].value == "7" and unreachable_mnist == []  # Draw never loads MNIST
    open_tab(at, "explore")
    assert len(unreachable_mnist) == 1
    warning = " ".join(w.value for w in at.tabs[2].warning)
    assert warning == ("The MNIST test images could not be downloaded right now; this page will "
                       "try again in about 5 min.")
    assert "--data" not in warning
    assert len(at.tabs[2].image) == 2  # the learning curves are still shown
    at.number_input(key="test_index").set_value(3).run()
    at.sidebar.radio(key="language").set_value("fr").run()
    assert "réessaiera" in at.tabs[2].warning[0].value and "--data" not in at.tabs[2].warning[0].value
    at2 = start()  # another visitor: the failure is the server's, not one page's
    open_tab(at2, "explore")
    assert len(unreachable_mnist) == 1, "the download chain was tried again within the wait"


def test_the_wait_after_a_failed_mnist_load_is_the_deployers_setting(
        models, canvas, unreachable_mnist, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_RETRY_SECONDS", "1200")
    at = open_tab(start(), "explore")
    assert "try again in about 20 min" in at.tabs[2].warning[0].value
    assert len(unreachable_mnist) == 1


def test_background_load_keeps_a_success_and_waits_after_a_failure():
    from mnist_core.errors import DataUnavailableError
    from ui.mnist_loader import BackgroundLoad, MnistUnavailable

    now = [0.0]
    outcomes = [DataUnavailableError("offline"), "arrays"]
    calls = []

    def load():
        calls.append(now[0])
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    loader = BackgroundLoad(load, lambda: 300.0, clock=lambda: now[0])
    with pytest.raises(MnistUnavailable) as failure:
        loader.get(wait=10)
    assert failure.value.minutes == 5 and str(failure.value).endswith(".")
    now[0] = 299.0
    with pytest.raises(MnistUnavailable) as failure:
        loader.get(wait=10)
    assert failure.value.minutes == 1 and calls == [0.0]
    now[0] = 300.0
    assert loader.get(wait=10) == "arrays" and loader.get() == "arrays"
    assert calls == [0.0, 300.0]


def test_a_slow_load_answers_loading_at_once_and_serves_everyone_when_done():
    import threading

    from ui.mnist_loader import BackgroundLoad, MnistLoading

    gate = threading.Event()
    calls = []

    def load():
        calls.append(1)
        gate.wait(30)
        return "arrays"

    loader = BackgroundLoad(load, lambda: 300.0)
    for wait in (0.05, 0.0):  # two visitors, the second while the first one's load runs
        started = time.monotonic()
        with pytest.raises(MnistLoading):
            loader.get(wait=wait)
        assert time.monotonic() - started < 1
    assert loader.loading and calls == [1]
    gate.set()
    assert loader.get(wait=10) == "arrays" and not loader.loading and calls == [1]


def test_while_mnist_loads_the_page_says_so_and_drawing_and_languages_go_on(
        models, canvas, mnist, monkeypatch):
    import threading

    import mnist_core.data
    import ui.mnist_loader

    (_, _), (x_test, _) = mnist
    gate = threading.Event()
    monkeypatch.setattr(mnist_core.data, "load_data", lambda *a, **k: gate.wait(30) and mnist)
    monkeypatch.setattr(ui.mnist_loader, "WAIT_SECONDS", 0.05)
    try:
        at = open_tab(start(), "explore")
        assert [i.value for i in at.tabs[2].info] == ["Loading the MNIST test images…"]
        at.sidebar.radio(key="language").set_value("fr").run()
        assert [i.value for i in at.tabs[2].info] == ["Chargement des images de test MNIST…"]
        open_tab(at, "draw", "fr")
        canvas(canvas_of(x_test[0]))
        at.run()
        assert at.tabs[0].metric[0].value == "7"
    finally:
        gate.set()
    ui.mnist_loader.mnist_test_loader().get(wait=30)
    open_tab(at, "explore", "fr")
    assert {m.label: m.value for m in at.tabs[2].metric}["Vrai chiffre"] == "7"


# ---- Following the server -----------------------------------------------------------------------

def add_model(folder, name):
    for suffix in (".keras", ".json"):
        shutil.copy(folder / f"tutorial{suffix}", folder / f"{name}{suffix}")


def remove_model(folder, name):
    for suffix in (".keras", ".json"):
        (folder / f"{name}{suffix}").unlink()


def test_models_added_or_removed_on_disk_appear_or_disappear(models, canvas):
    at = start()
    chooser = at.sidebar.selectbox(key="model_choice")
    assert chooser.options == ["tutorial.keras (99.04%)"]
    add_model(models, "extra")
    at.run()
    assert sorted(at.sidebar.selectbox(key="model_choice").options) == [
        "extra.keras (99.04%)", "tutorial.keras (99.04%)"]
    assert at.sidebar.selectbox(key="model_choice").value == str(models / "tutorial.keras")
    remove_model(models, "extra")
    at.run()
    assert at.sidebar.selectbox(key="model_choice").options == ["tutorial.keras (99.04%)"]
    assert not at.sidebar.warning


@pytest.mark.parametrize("language, sentence", [
    ("en", "The model extra.keras is no longer on the server, so tutorial.keras is chosen instead."),
    ("fr", "Le modèle extra.keras n'est plus sur le serveur : tutorial.keras est choisi à sa place."),
])
def test_a_chosen_model_that_vanished_says_so_and_falls_back_to_the_default(
        models, canvas, mnist, language, sentence):
    (_, _), (x_test, _) = mnist
    add_model(models, "extra")
    at = start()
    at.sidebar.radio(key="language").set_value(language).run()
    at.sidebar.selectbox(key="model_choice").set_value(str(models / "extra.keras")).run()
    remove_model(models, "extra")
    canvas(canvas_of(x_test[0]))
    at.run()
    assert not at.exception and not at.sidebar.error
    assert [w.value for w in at.sidebar.warning] == [sentence]
    assert str(models) not in sentence
    assert at.sidebar.selectbox(key="model_choice").value == str(models / "tutorial.keras")
    assert at.tabs[0].metric[0].value == "7"  # Draw goes on with the default model
    assert [t.value for t in at.toast] == [sentence]  # seen on phones, sidebar folded away
    at.run()
    assert [w.value for w in at.sidebar.warning] == [sentence], "said until another is chosen"


def test_the_page_notices_a_change_of_models_or_of_the_training_job(models):
    """`ui.follow.server_view` is what each page compares every few seconds (AppTest does not
    run `run_every` timers, so it is tested directly)."""
    from mnist_core.jobs import JobState
    from ui.follow import server_view

    class Jobs:
        state = JobState()

        def snapshot(self):
            return self.state

    jobs = Jobs()
    first = server_view(jobs)
    assert server_view(jobs) == first, "nothing changed: no rerun"
    (models / ".tutorial-123.keras.tmp").write_bytes(b"half a save")
    assert server_view(jobs) == first, "a save in progress (hidden file) is not a change"
    add_model(models, "extra")
    added = server_view(jobs)
    assert added != first
    remove_model(models, "extra")
    assert server_view(jobs) == first
    jobs.state = JobState(status="loading", job_id=1)
    started = server_view(jobs)
    assert started != first
    jobs.state = JobState(status="running", job_id=1, epoch=1, step=5)
    running = server_view(jobs)
    assert running != started
    jobs.state = JobState(status="running", job_id=1, epoch=1, step=6)
    assert server_view(jobs) == running, "progress alone is the Train view's own poll"
    import os

    os.utime(models / "tutorial.json", ns=(0, 0))  # the metadata rewritten in place
    assert server_view(jobs) != running


def test_the_models_fingerprint_names_its_folder_and_survives_a_missing_one(models, tmp_path):
    from ui.resources import models_fingerprint

    twin = tmp_path / "twin"
    shutil.copytree(models, twin, copy_function=shutil.copy2)  # same names, sizes and mtimes
    assert models_fingerprint(twin)[1] == models_fingerprint(models)[1]
    assert models_fingerprint(twin) != models_fingerprint(models), "another folder's list"
    assert models_fingerprint(tmp_path / "missing") == (str(tmp_path / "missing"), ())
