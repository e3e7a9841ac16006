"""The visitor's drawing belongs to the session, not to the canvas widget (issue 20).

The browser draws the canvas afresh, sending nothing, after a tab switch or a language switch:
the fake canvas (conftest.py) is told `canvas(None)` for that moment, as the real one returns
its default then. The page must read the drawing it kept, and hand it back to the canvas as its
`initial_drawing`, so that the canvas shows what is read. tests/browser/test_browser_session.py
draws real strokes.
"""

import shutil

import pytest

from tests.app_kit import canvas_of, open_tab, start
from tests.conftest import ROOT
from tests.ui.conftest import STROKE
from ui.session_keys import CLEAR_CANVAS, LANGUAGE, MODEL_CHOICE
from ui.texts import text


def drawn_afresh(at, canvas):
    """The browser draws the canvas again: it sends nothing until the next stroke."""
    canvas(None)
    return at.run()


def answer(at):
    metric = at.tabs[0].metric
    return (metric[0].label, metric[0].value) if metric else None


def test_back_from_train_and_explore_the_kept_drawing_is_shown_and_read(models, canvas, mnist):
    (_, _), (x_test, _) = mnist
    at = start()
    canvas(canvas_of(x_test[0]))  # a 7
    at.run()
    assert answer(at) == ("Predicted digit", "7")
    open_tab(at, "train")
    open_tab(at, "explore")
    drawn_afresh(open_tab(at, "draw"), canvas)
    assert answer(at) == ("Predicted digit", "7")
    assert not any("The canvas is empty" in info.value for info in at.tabs[0].info)
    assert canvas.calls[-1]["initial_drawing"]["objects"] == [STROKE]


def test_a_language_switch_keeps_the_drawing_and_reads_it_in_french(models, canvas, mnist):
    (_, _), (x_test, _) = mnist
    at = start()
    canvas(canvas_of(x_test[0]))
    at.run()
    at.session_state[LANGUAGE] = "fr"
    drawn_afresh(at, canvas)
    assert answer(at) == ("Chiffre prédit", "7")
    assert canvas.calls[-1]["initial_drawing"]["objects"] == [STROKE]


@pytest.fixture
def strong(models):
    """The strong model beside the tutorial's, in the test's models folder."""
    for suffix in (".keras", ".json"):
        shutil.copy(ROOT / "models" / f"strong{suffix}", models / f"strong{suffix}")
    return models / "strong.keras"


def confidences(paths, image):
    """How sure each model is of `image`, as the page reads and writes it."""
    from mnist_core.reading.inference import Predictor
    from mnist_core.untrusted.checked_load import load_model
    from ui.canvas import reading_pixels

    return [text("en", "confidence", p=Predictor(load_model(path).model).predict_number(
        reading_pixels(canvas_of(image))).digits[0].confidence) for path in paths]


def test_switching_model_reads_the_kept_drawing_again_with_the_new_model(models, canvas, mnist,
                                                                         strong):
    (_, _), (x_test, _) = mnist
    tutorial = models / "tutorial.keras"
    # A test digit the two models are not equally sure of, so that the re-reading shows.
    index, expected = next((i, found) for i in range(50)
                           if len(set(found := confidences([tutorial, strong], x_test[i]))) == 2)
    at = start(**{MODEL_CHOICE: str(tutorial)})
    canvas(canvas_of(x_test[index]))
    at.run()
    assert at.tabs[0].metric[0].delta == expected[0]
    open_tab(at, "explore")
    open_tab(at, "draw")
    at.sidebar.selectbox(key=MODEL_CHOICE).set_value(str(strong))
    drawn_afresh(at, canvas)
    assert at.tabs[0].metric[0].delta == expected[1]
    assert canvas.calls[-1]["initial_drawing"]["objects"] == [STROKE]


def test_clear_drops_the_kept_drawing_too(models, canvas, mnist):
    (_, _), (x_test, _) = mnist
    at = start()
    canvas(canvas_of(x_test[0]))
    at.run()
    at.button(key=CLEAR_CANVAS).click().run()
    assert answer(at) is None
    drawn_afresh(open_tab(open_tab(at, "train"), "draw"), canvas)
    assert answer(at) is None
    assert any("The canvas is empty" in info.value for info in at.tabs[0].info)
    assert canvas.calls[-1]["initial_drawing"] is None
