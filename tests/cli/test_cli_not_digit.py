"""`predict --json` and `explain --json` say whether an image looks like no digit, and why."""

import json

import numpy as np
import pytest
from PIL import Image

from mnist_core import cli
from mnist_core.data import non_digits
from mnist_core.data.drawn_digits import pose_on_canvas, stroke_ink
from mnist_core.reading.not_a_digit import default_gate

pytestmark = pytest.mark.process


@pytest.fixture
def letter_and_digit(tmp_path, mnist):
    (_, _), (x_test, _) = mnist
    rng = np.random.default_rng(0)
    aspect, strokes = non_digits._LETTER_STROKES["X"]
    letter = pose_on_canvas(stroke_ink(aspect, strokes, rng, pens=(2, 3)), "black_on_white", rng)
    paths = tmp_path / "letter_x.png", tmp_path / "seven.png"
    Image.fromarray(letter).save(paths[0])
    Image.fromarray(x_test[0]).resize((140, 140)).save(paths[1])
    return [str(p) for p in paths]


def test_predict_json_carries_the_verdict_and_its_score(letter_and_digit, default_model_path,
                                                        capsys):
    assert cli.main(["predict", str(default_model_path), *letter_and_digit, "--json"]) == 0
    letter, seven = json.loads(capsys.readouterr().out)
    threshold = default_gate().threshold
    assert letter["not_a_digit"] is True and letter["not_digit_score"] >= threshold
    assert letter["digits"][0]["not_a_digit"] is True
    assert 0 <= letter["digit"] <= 9 and len(letter["probabilities"]) == 10  # the best guess
    assert seven["not_a_digit"] is False and seven["not_digit_score"] < threshold
    assert seven["digit"] == 7 and seven["digits"][0]["not_a_digit"] is False


def test_predict_says_it_in_words(letter_and_digit, default_model_path, capsys):
    assert cli.main(["predict", str(default_model_path), *letter_and_digit]) == 0
    letter, seven = capsys.readouterr().out.splitlines()
    assert letter.startswith(f"{letter_and_digit[0]}: not a digit (best guess ")
    assert seven.startswith(f"{letter_and_digit[1]}: 7 (")


def test_explain_json_carries_the_verdict(letter_and_digit, default_model_path, tmp_path,
                                          capsys):
    out = tmp_path / "explained"
    assert cli.main(["explain", str(default_model_path), letter_and_digit[0], "--json",
                     "--out", str(out)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["not_a_digit"] is True
    assert answer["not_digit_score"] >= default_gate().threshold
