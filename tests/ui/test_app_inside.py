"""The Draw view's "Inside the network" section under AppTest: closed by default, every section
drawn for the current drawing in both languages, one section at a time."""

import pytest

from tests.app_kit import canvas_of, start
from ui.inside import SECTIONS
from ui.session_keys import CLEAR_CANVAS, INSIDE_ALL_MAPS, INSIDE_OPEN, INSIDE_SECTION, LANGUAGE
from ui.texts import text


def _drawn(canvas, mnist, **session):  # noqa: F811
    (_, _), (x_test, _) = mnist
    at = start(**session)
    canvas(canvas_of(x_test[0]))  # a 7
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_inside_view_is_closed_by_default_and_draws_nothing(models, canvas, mnist,  # noqa: F811
                                                                 monkeypatch):
    import ui.inside

    def no_explainer(model):
        raise AssertionError("a closed inside view built an Explainer")

    monkeypatch.setattr(ui.inside, "Explainer", no_explainer)
    at = _drawn(canvas, mnist)
    draw = at.tabs[0]
    assert at.toggle(key=INSIDE_OPEN).value is False
    assert len(draw.image) == 1  # only the 28x28 input under the answer
    chooser = [group for group in draw.get("button_group") if group.key == INSIDE_SECTION]
    assert not chooser  # no section chooser (the "What did you draw?" digits are there)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_shows_for_the_current_drawing(models, canvas, mnist,  # noqa: F811
                                                   language, section):
    at = _drawn(canvas, mnist, **{LANGUAGE: language, INSIDE_OPEN: True, INSIDE_SECTION: section})
    draw = at.tabs[0]
    captions = " ".join([c.value for c in draw.caption]
                        + [str(c) for i in draw.image for c in (i.captions or [])])
    if section == "layers":
        # The tutorial's CNN: 4 layers of feature maps (grids), 3 dense ones (bars), all
        # pictures: no chart but the Draw view's own.
        assert len(draw.image) == 1 + 4 + 3
        assert len(draw.get("vega_lite_chart")) == 1
        dense = {"en": "204,928", "fr": "204\u202f928"}[language]
        assert f"dense (Dense) · 128 · {dense}" in captions
    elif section == "architecture":
        assert {"en": "225,034", "fr": "225\u202f034"}[language] in " ".join(
            md.value for md in draw.markdown)
        assert len(draw.table) == 1 and len(draw.table[0].value) == 7
    elif section == "preprocess":
        assert len(draw.image) == 2  # the input, then one list of pictures
    elif section == "saliency":
        assert len(draw.image) == 3  # the input, one list of pictures, the colour bar
    elif section == "filters":
        assert len(draw.image) == 2
    words = {"en": "Inside the network", "fr": "À l'intérieur du réseau"}[language]
    assert at.toggle(key=INSIDE_OPEN).label == words



def test_clear_keeps_the_view_open_on_its_section(models, canvas, mnist):  # noqa: F811
    at = _drawn(canvas, mnist, **{INSIDE_OPEN: True, INSIDE_SECTION: "saliency"})
    at.button(key=CLEAR_CANVAS).click().run()
    assert at.toggle(key=INSIDE_OPEN).value is True and len(at.tabs[0].image) == 0
    canvas(canvas_of(mnist[1][0][1]))  # a 2
    at.run()
    assert at.session_state[INSIDE_SECTION] == "saliency" and len(at.tabs[0].image) == 3


def test_the_drawing_is_decoded_once_for_the_answer_and_the_inside_view(models, canvas,  # noqa: F811
                                                                        mnist, monkeypatch):
    import ui.canvas

    decode, decoded = ui.canvas.decode_data_url, []
    monkeypatch.setattr(ui.canvas, "decode_data_url",
                        lambda *args, **kwargs: decoded.append(1) or decode(*args, **kwargs))
    at = _drawn(canvas, mnist, **{INSIDE_OPEN: True, INSIDE_SECTION: "preprocess"})
    assert len(at.tabs[0].image) == 2  # the answer's input, then the preprocessing pictures
    assert len(decoded) == 1  # the first run had an empty canvas; the stroke's run decoded once


def test_a_layer_with_thousands_of_maps_is_shown_as_its_first_64():
    import numpy as np

    from ui.inside import MAX_MAPS, layer_picture

    picture = layer_picture(np.ones((28, 28, 4096), np.float32))  # what an upload could make
    side = 8 * 29 - 1  # 8 x 8 tiles of 28 pixels and their gaps
    assert MAX_MAPS == 64 and picture.shape == (side, side)


# issue 20: the view opens on a short section; the long one shows a row of maps per layer
def test_the_inside_view_opens_on_the_preprocessing(models, canvas, mnist):
    at = _drawn(canvas, mnist, **{INSIDE_OPEN: True})
    captions = " ".join(c.value for c in at.tabs[0].caption)
    assert text("en", "inside_preprocess_about") in captions
    assert len(at.tabs[0].image) == 2  # the answer's input, then the five small pictures


@pytest.mark.parametrize("language", ["en", "fr"])
def test_layer_outputs_show_a_row_of_maps_each_until_asked_for_all(models, canvas, mnist,
                                                                    language):
    at = _drawn(canvas, mnist, **{LANGUAGE: language, INSIDE_OPEN: True,
                                  INSIDE_SECTION: "layers"})
    draw = at.tabs[0]
    captions = [c for i in draw.image for c in (i.captions or [])]
    first = {"en": "the first 8 of 32 shown", "fr": "affichage limité à 8 sur 32"}[language]
    assert first in captions[1]  # after the answer's input, conv2d: 32 maps, a row of 8 shown
    digits = {"en": "the ten bars are the digits 0 to 9",
              "fr": "les dix barres sont les chiffres de 0 à 9"}[language]
    assert digits in captions[-1] and not any(digits in c for c in captions[:-1])
    flatten = {"en": "flatten (Flatten) · 1,600 ·", "fr": "flatten (Flatten) · 1\u202f600 ·"}
    assert any(c.startswith(flatten[language]) for c in captions), captions
    every = at.toggle(key=INSIDE_ALL_MAPS)
    assert every.label == text(language, "inside_all_maps", count=64)
    every.set_value(True).run()
    captions = [c for i in at.tabs[0].image for c in (i.captions or [])]
    assert not any(first in c for c in captions)


def test_few_maps_make_one_row_of_tiles():
    import numpy as np

    from ui.inside import FEW_MAPS, layer_picture

    picture = layer_picture(np.ones((26, 26, 32), np.float32), FEW_MAPS)
    assert FEW_MAPS == 8 and picture.shape == (26, 8 * 27 - 1)
