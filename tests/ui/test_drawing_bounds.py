"""The drawing the browser sends as fabric.js JSON is the visitor's input: the page keeps it and
sends it back to draw the canvas again, so it is bounded and rebuilt from pen strokes only
(`ui.canvas.bounded_drawing`), and a refusal is one sentence on the page."""

import json

import pytest

from mnist_core.errors import ImageError
from tests.app_kit import canvas_of, start
from tests.ui.conftest import STROKE
from ui.canvas import (
    MAX_DRAWING_CHARS,
    MAX_DRAWING_POINTS,
    MAX_DRAWING_STROKES,
    DrawingTooLarge,
    bounded_drawing,
)


def drawing(*strokes):
    return {"version": "6.7.1", "objects": list(strokes)}


def long_stroke(commands, digits=1):
    """A stroke of `commands` path commands whose numbers have `digits` digits."""
    number = float("1." + "1" * (digits - 1)) if digits > 1 else 1  # within the canvas
    return {**STROKE, "path": [["M", 0, 0]] + [["L", number, number]] * (commands - 1)}


def test_the_pages_own_strokes_come_back_as_they_were():
    sent = drawing(STROKE, {**STROKE, "strokeDashArray": None, "shadow": None, "visible": True})
    assert bounded_drawing(sent) == sent


NESTED = json.loads("[" * 900 + "]" * 900)  # json.loads takes it; str() of it, called deeper, not

def test_a_version_that_is_not_text_is_left_out():
    assert bounded_drawing({**drawing(STROKE), "version": NESTED})["version"] == ""


def test_properties_are_kept_and_nothing_else_at_the_top():
    sent = {**drawing(STROKE), "background": "#000000", "backgroundImage": {"src": "x"}}
    assert bounded_drawing(sent) == drawing(STROKE)


HOSTILE = {
    "not a drawing": [1, 2, 3],
    "no strokes list": {"objects": "all"},
    "an image that the browser would fetch": drawing(
        {"type": "Image", "src": "https://example.invalid/x.png", "path": []}),
    "a pattern fill that fetches an image": drawing(
        {**STROKE, "fill": {"type": "pattern", "source": "https://example.invalid/x.png"}}),
    "a clip path, a nested object": drawing({**STROKE, "clipPath": drawing(STROKE)}),
    "a long string": drawing({**STROKE, "stroke": "x" * 100_000}),
    "a path command that is not one": drawing({**STROKE, "path": [["alert(1)", 0, 0]]}),
    "a path that is not a list": drawing({**STROKE, "path": "M 0 0 L 1 1"}),
    "a number that is not finite": drawing({**STROKE, "left": float("inf")}),
    "an empty path command": drawing({**STROKE, "path": [["M", 0, 0], []]}),
    "a list where a path's letter goes": drawing({**STROKE, "path": [[["M"], 0, 0]]}),
    "an object where a path's letter goes": drawing({**STROKE, "path": [[{"M": 1}, 0, 0]]}),
    "a path command that is a letter alone, not a list": drawing({**STROKE, "path": ["M"]}),
    "a path command too long": drawing({**STROKE, "path": [["C", *range(7)]]}),
    "a flag among a path's numbers": drawing({**STROKE, "path": [["L", True, 0]]}),
    "a numeral as text in a path": drawing({**STROKE, "path": [["L", "1", 0]]}),
    "a list among a path's numbers": drawing({**STROKE, "path": [["L", [1], 0]]}),
    "NaN in a path": drawing({**STROKE, "path": [["M", 0, 0], ["L", float("nan"), 0]]}),
    "an infinity in a path": drawing({**STROKE, "path": [["L", 0, -float("inf")]]}),
    "both infinities in a path": drawing({**STROKE, "path": [["M", float("inf")],
                                                             ["L", -float("inf")]]}),
    "an integer past a float's range": drawing({**STROKE, "left": 10**400}),
    "such an integer in a dash array": drawing({**STROKE, "strokeDashArray": [10**400]}),
    "a nested list as the stroke's type": drawing({**STROKE, "type": NESTED}),
    "numbers beyond any canvas": drawing({**STROKE, "path": [["L", 1e308, 1e308]]}),
}


@pytest.mark.parametrize("sent", HOSTILE.values(), ids=HOSTILE.keys())
def test_anything_the_pages_canvas_does_not_draw_is_refused(sent):
    with pytest.raises(ImageError):
        bounded_drawing(sent)


OVERSIZED = {
    "too many strokes": drawing(*[STROKE] * (MAX_DRAWING_STROKES + 1)),
    "too many points": drawing(long_stroke(MAX_DRAWING_POINTS + 1)),
    "too many characters": drawing(*[long_stroke(MAX_DRAWING_POINTS // 100, digits=15)] * 100),
}


@pytest.mark.parametrize("sent", OVERSIZED.values(), ids=OVERSIZED.keys())
def test_a_drawing_larger_than_the_page_keeps_is_refused(sent):
    with pytest.raises(DrawingTooLarge):
        bounded_drawing(sent)


def test_the_oversized_drawings_are_just_past_the_bounds():
    # So that the three refusals above each test their own bound.
    assert len(json.dumps(OVERSIZED["too many characters"])) > MAX_DRAWING_CHARS
    assert sum(len(s["path"]) for s in OVERSIZED["too many characters"]["objects"]) <= (
        MAX_DRAWING_POINTS)
    assert bounded_drawing(drawing(long_stroke(MAX_DRAWING_POINTS)))
    assert bounded_drawing(drawing(*[STROKE] * MAX_DRAWING_STROKES))


@pytest.mark.parametrize("language, sentence", [
    ("en", "This drawing has too many strokes to keep"),
    ("fr", "Ce dessin compte trop de traits pour être gardé")])
def test_an_oversized_drawing_is_one_sentence_and_never_handed_back(models, canvas, mnist,
                                                                     language, sentence):
    from ui.session_keys import LANGUAGE

    (_, _), (x_test, _) = mnist
    at = start(**{LANGUAGE: language})
    canvas(canvas_of(x_test[0]), OVERSIZED["too many strokes"])
    at.run()
    assert any(sentence in warning.value for warning in at.tabs[0].warning)
    assert not at.tabs[0].metric
    canvas(None)  # the canvas drawn afresh: it is handed nothing of the refused drawing
    at.run()
    assert canvas.calls[-1]["initial_drawing"] is None


def test_a_hostile_drawing_gets_the_pages_sentence_and_is_not_kept(models, canvas, mnist):
    (_, _), (x_test, _) = mnist
    at = start()
    canvas(canvas_of(x_test[0]))
    at.run()
    canvas(canvas_of(x_test[1]), HOSTILE["an image that the browser would fetch"])
    at.run()
    assert any("The drawing could not be read" in warning.value for warning in at.warning)
    canvas(None)
    at.run()
    assert canvas.calls[-1]["initial_drawing"] == drawing(STROKE)  # the last drawing kept
    assert at.tabs[0].metric[0].value == "7"
