"""The Draw view when a drawing does not look like a digit (issue 21), through `AppTest`.

The shipped gate (`mnist_core.reading.not_a_digit`) may not be trained yet, so `gate` puts a
fake one in its place, keyed on ink: a solid block (half its 28x28 pixels white) is no digit,
a handwritten MNIST digit (an eighth to a sixth of them) is one. The page's wording comes from
ui/not_digit_answer.py; its pure parts are tested in test_not_digit_answer.py.
"""

import re

import numpy as np
import pytest

from tests.app_kit import canvas_of, start
from tests.ui.test_app import number_canvas
from ui.session_keys import DRAWN_INPUT, INSIDE_DIGIT, INSIDE_OPEN, LANGUAGE

NARROW = "\u202f"  # ui.numbers.NARROW_SPACE, before a French %
NBSP = "\u00a0"
SLOPPY_FOUR = 115  # a test 4 the tutorial's model reads as 4 (71%) or 9 (29%)


class InkGate:
    """A fake gate: an image's "not a digit" score is its mean ink."""

    threshold = 0.3

    def scores(self, images):
        return np.asarray(images, np.float32).reshape(len(images), -1).mean(axis=1)

    def flags(self, scores):
        return np.asarray(scores) >= self.threshold

    def is_mark(self, image):
        return bool(self.flags(self.scores(np.asarray(image)[None]))[0])


@pytest.fixture
def gate(models, monkeypatch):
    """The fake gate in place of the shipped one, for the page's Predictor (built afresh: the
    `models` fixture has cleared the cached one)."""
    import mnist_core.reading.not_a_digit

    fake = InkGate()
    monkeypatch.setattr(mnist_core.reading.not_a_digit, "default_gate", lambda: fake)
    return fake


def block():
    """A canvas with a solid white square on it: no digit."""
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[80:200, 80:200, :3] = 255
    return rgba


def two_digits_and_a_block(x_test):
    """A 2, a solid square, then a 0, apart, left to right."""
    rgba = number_canvas(x_test, [1, 0, 3])  # test digits 2, 7, 0
    rgba[100:164, 76:140, :3] = 0  # the 7 out...
    rgba[110:154, 86:130, :3] = 255  # ...a square in its place
    return rgba


def in_french(at):
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    return at


WORDS = {
    "en": {"headline": "That does not look like a digit", "predicted": "Predicted digit",
           "guesses": r"Best guess(es)?: 0 \(\d+%\)(, \d \(\d+%\)){0,2}",
           "phone": "**Not a digit** (maybe 0)", "phone_digit": "Predicted: **4** (",
           "centred": "Centred in 28×28: no digit (maybe 0)",
           "number": "Number read",
           "piece": "The 2nd mark from the left does not look like a digit.",
           "phone_number": "Read: **2?0** (? = not a digit)", "caption": r"\? · maybe \d"},
    "fr": {"headline": "Ça ne ressemble pas à un chiffre", "predicted": "Chiffre prédit",
           "guesses": (rf"Meilleures? hypothèses?{NBSP}: 0 \(\d+{NARROW}%\)"
                       rf"(, \d \(\d+{NARROW}%\)){{0,2}}"),
           "phone": "**Pas un chiffre** (peut-être 0)",
           "phone_digit": "Prédit : **4** (",
           "centred": f"Centrée dans 28×28{NBSP}: pas un chiffre (peut-être 0)",
           "number": "Nombre lu",
           "piece": "La 2e marque en partant de la gauche ne ressemble pas à un chiffre.",
           "phone_number": f"Lu{NBSP}: **2?0** (?{NBSP}= pas un chiffre)",
           "caption": r"\? · peut-être \d"},
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_drawing_that_is_no_digit_says_so_with_its_best_guesses_and_no_bare_digit(
        models, canvas, gate, mnist, language):
    (_, _), (x_test, _) = mnist
    words = WORDS[language]
    at = start()
    if language == "fr":
        in_french(at)
    canvas(block())
    at.run()
    assert not at.exception, at.exception
    draw = at.tabs[0]
    assert [h.value for h in draw.subheader] == [words["headline"]]
    assert not draw.metric, "no big digit, as if the model knew"
    assert any(re.fullmatch(words["guesses"], md.value) for md in draw.markdown), \
        [md.value for md in draw.markdown]
    assert draw.get("vega_lite_chart"), "the ten probabilities are still shown"
    assert any(md.value == words["phone"] for md in draw.markdown), "the phone's line says it"
    assert at.session_state[DRAWN_INPUT] is None, "a training's live panel does not read it"
    at.toggle(key=INSIDE_OPEN).set_value(True).run()  # its preprocessing, the first section
    assert words["centred"] in [c for image in at.tabs[0].image for c in image.captions]

    # A sloppy 4, which the model doubts against a 9, is still a digit: shown as one.
    canvas(canvas_of(x_test[SLOPPY_FOUR]))
    at.run()
    draw = at.tabs[0]
    assert not draw.subheader
    assert [(m.label, m.value) for m in draw.metric] == [(words["predicted"], "4")]
    assert any(md.value.startswith(words["phone_digit"]) for md in draw.markdown)
    assert at.session_state[DRAWN_INPUT] is not None


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_number_with_a_piece_that_is_no_digit_names_the_piece_and_shows_a_question_mark(
        models, canvas, gate, mnist, language):
    (_, _), (x_test, _) = mnist
    words = WORDS[language]
    at = start()
    if language == "fr":
        in_french(at)
    canvas(two_digits_and_a_block(x_test))
    at.run()
    assert not at.exception, at.exception
    draw = at.tabs[0]
    assert [(m.label, m.value) for m in draw.metric] == [(words["number"], "2?0")]
    texts = [md.value for md in draw.markdown]
    assert words["piece"] in texts and words["phone_number"] in texts, texts
    captions = [caption for image in draw.image for caption in image.captions]
    assert len(captions) == 3 and captions[0].startswith("2 · ") and \
        captions[2].startswith("0 · "), captions
    assert re.fullmatch(words["caption"], captions[1]), captions

    # Inside the network, the pieces to choose from show the same "?".
    at.toggle(key=INSIDE_OPEN).set_value(True).run()
    which = at.radio(key=INSIDE_DIGIT)
    assert which.options == ["1: 2", "2: ?", "3: 0"]
