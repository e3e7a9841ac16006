"""Reading several digits: numbers of real MNIST test digits, cut apart and read left to right."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_core.cli import commands as cli
from mnist_core.errors import BlankImageError
from mnist_core.reading.segment import split_digits

SCALE = 4  # MNIST digits are drawn at 4x, about 80 pixels high, as on the 280-pixel canvas
MARGIN = 30


def ink_patch(digit):
    """MNIST digit (28, 28) uint8 -> its ink, cropped in x, enlarged SCALE times (canvas-like)."""
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    crop = Image.fromarray(digit[:, cols[0] : cols[-1] + 1])
    return np.asarray(crop.resize((crop.width * SCALE, crop.height * SCALE), Image.BICUBIC))


def touching_gap(left, right, overlap):
    """The gap that makes the ink of `right` overlap the ink of `left` by `overlap` pixels."""
    strong = 100  # ink at least this bright must touch, not just the anti-aliased rims
    rows = [r for r in range(min(len(left), len(right)))
            if (left[r] > strong).any() and (right[r] > strong).any()]
    room = min(left.shape[1] - 1 - np.flatnonzero(left[r] > strong)[-1]
               + np.flatnonzero(right[r] > strong)[0] for r in rows)
    return -room - overlap


def compose(patches, gaps):
    """Patches side by side (gap in pixels before each next one; negative: their boxes overlap)
    -> white-on-black uint8 canvas."""
    width = sum(p.shape[1] for p in patches) + sum(gaps) + 2 * MARGIN
    height = max(p.shape[0] for p in patches) + 2 * MARGIN
    canvas = np.zeros((height, width), np.uint8)
    x = MARGIN
    for patch, gap in zip(patches, [*gaps, 0]):
        region = canvas[MARGIN : MARGIN + patch.shape[0], x : x + patch.shape[1]]
        np.maximum(region, patch, out=region)
        x += patch.shape[1] + gap
    return canvas


@pytest.fixture(scope="module")
def predictor(tutorial_model):
    from mnist_core.reading.inference import Predictor

    return Predictor(tutorial_model)


@pytest.fixture(scope="module")
def clear_digits(mnist, predictor):
    """For each label, a few MNIST test digits the tutorial model reads right alone (> 99%)."""
    (_, _), (x_test, y_test) = mnist
    x, y = x_test[:500], y_test[:500]
    probabilities = predictor.probabilities(x / 255.0)
    sure = probabilities[np.arange(len(y)), y] > 0.99
    return {label: [x[i] for i in np.flatnonzero(sure & (y == label))[:5]] for label in range(10)}


def number_image(clear_digits, number, gaps=None, variant=0, touching=None):
    """A number of MNIST digits: `gaps` apart, or their ink overlapping by `touching` pixels."""
    patches = [ink_patch(clear_digits[int(c)][variant]) for c in number]
    if touching is not None:  # one overlap for every gap, or a list (None: 16 pixels apart)
        overlaps = touching if isinstance(touching, list) else [touching] * (len(number) - 1)
        gaps = [16 if o is None else touching_gap(a, b, o)
                for a, b, o in zip(patches, patches[1:], overlaps)]
    return compose(patches, [16] * (len(number) - 1) if gaps is None else gaps)


@pytest.mark.parametrize("number", ["42", "907", "2024", "75013"])
def test_reads_two_to_five_digits_left_to_right(clear_digits, predictor, number):
    image = number_image(clear_digits, number)
    reading = predictor.predict_number(image)
    assert reading.number == number
    assert not reading.unsure and reading.ignored == []
    assert [box[0] for box in reading.boxes] == sorted(box[0] for box in reading.boxes)
    assert all(p.image.shape == (28, 28) and p.probabilities.shape == (10,) for p in reading.digits)


def test_pieces_hold_one_digit_each_on_a_background_margin(clear_digits):
    cut = split_digits(number_image(clear_digits, "2024"))
    assert len(cut.pieces) == len(cut.boxes) == 4
    for piece, (x0, y0, x1, y1) in zip(cut.pieces, cut.boxes):
        assert piece.dtype == np.float32 and 0 <= piece.min() and piece.max() <= 1
        frame = np.concatenate([piece[0], piece[-1], piece[:, 0], piece[:, -1]])
        assert frame.max() == 0
        assert x1 - x0 < 0.9 * (y1 - y0) + 10  # one digit wide, not two


def test_digits_overlapping_in_x_without_touching_are_read_apart(clear_digits, predictor):
    image = number_image(clear_digits, "72", touching=-4)  # 4 pixels apart
    assert len(split_digits(image).boxes) == 2
    reading = predictor.predict_number(image)
    assert reading.number == "72" and not reading.unsure


@pytest.mark.parametrize("number, overlap", [("23", 2), ("80", 4), ("2024", [None, 3, None]),
                                             ("1990", [None, None, 2])])
def test_touching_digits_are_cut_apart_and_flagged_unsure(clear_digits, predictor, number,
                                                          overlap):
    image = number_image(clear_digits, number, touching=overlap)
    cut = split_digits(image)
    assert len(cut.options) < len(number)  # some ink does touch
    assert cut.unsure or any(len(ways) > 1 for ways in cut.options)
    assert any(len(way) == len(number) for way in _all_ways(cut.options))
    reading = predictor.predict_number(image)
    assert reading.number == number
    assert reading.unsure


def _all_ways(options):
    """Every way to cut the whole drawing: lists of pieces, one per combination of ways."""
    ways = [[]]
    for blob in options:
        ways = [done + way for done in ways for way in blob]
    return ways


def test_a_stray_dot_is_ignored(clear_digits, predictor):
    image = number_image(clear_digits, "2024")
    image[-12:-4, -20:-12] = 255  # a full stop after the year
    image[4:9, 60:65] = 255  # a touch of the pen above it
    reading = predictor.predict_number(image)
    assert reading.number == "2024"
    assert len(reading.ignored) == 2 and not reading.unsure


def test_a_stray_dot_beside_one_digit_is_ignored(clear_digits, predictor):
    image = number_image(clear_digits, "3")
    image[40:48, -20:-12] = 255
    reading = predictor.predict_number(image)
    assert reading.number == "3" and len(reading.ignored) == 1


def strokes(*lines, size=(200, 200), width=12):
    """White-on-black canvas with each polyline drawn as a separate stroke."""
    canvas = Image.new("L", size)
    draw = ImageDraw.Draw(canvas)
    for line in lines:
        draw.line(line, fill=255, width=width, joint="curve")
    return np.asarray(canvas)


@pytest.mark.parametrize("name, lines", [
    ("seven with a crossbar", [[(40, 30), (150, 30), (80, 180)], [(70, 105), (150, 105)]]),
    ("four in two strokes", [[(110, 20), (40, 120), (160, 120)], [(130, 70), (130, 185)]]),
    ("one with a flag and a separate foot",
     [[(60, 60), (110, 20), (110, 170)], [(70, 185), (150, 185)]]),
    ("five with its top stroke apart", [[(70, 45), (62, 95), (120, 90), (140, 140), (110, 180),
                                         (60, 170)], [(80, 22), (150, 22)]]),
])
def test_parts_of_one_digit_stay_one_digit(name, lines):
    cut = split_digits(strokes(*lines))  # some strokes cross, others stand apart
    assert len(cut.pieces) == 1 and cut.ignored == [] and not cut.unsure


def test_one_digit_gives_exactly_the_old_answer(mnist, predictor):
    (_, _), (x_test, _) = mnist
    for i in range(12):
        canvas = np.zeros((280, 280, 4), np.uint8)
        canvas[..., 3] = 255
        digit = np.asarray(Image.fromarray(x_test[i]).resize((112, 112)))
        canvas[60:172, 90:202, :3] = digit[..., None]
        old, new = predictor.predict(canvas), predictor.predict_number(canvas)
        assert new.number == str(old.digit) and len(new.digits) == 1
        np.testing.assert_array_equal(new.digits[0].probabilities, old.probabilities)
        np.testing.assert_array_equal(new.digits[0].image, old.image)


def test_boxes_are_in_the_original_images_pixels(clear_digits):
    small = number_image(clear_digits, "42")
    big = np.asarray(Image.fromarray(small).resize((small.shape[1] * 8, small.shape[0] * 8)))
    small_boxes = np.array(split_digits(small).boxes)
    big_boxes = np.array(split_digits(255 - big).boxes)  # black on white, as scanned
    assert big.shape[1] > 1024 and len(big_boxes) == 2
    np.testing.assert_allclose(big_boxes, small_boxes * 8, atol=16)


def test_a_blank_image_has_no_digits():
    with pytest.raises(BlankImageError):
        split_digits(np.zeros((280, 280), np.uint8))


@pytest.mark.process
def test_predict_json_adds_the_number(tmp_path, default_model_path, clear_digits, capsys):
    year, seven = tmp_path / "year.png", tmp_path / "seven.png"
    Image.fromarray(number_image(clear_digits, "2024")).save(year)
    Image.fromarray(255 - number_image(clear_digits, "7")).save(seven)
    assert cli.main(["predict", str(default_model_path), str(year), str(seven), "--json"]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert [a["number"] for a in answers] == ["2024", "7"]
    assert answers[1]["number"] == str(answers[1]["digit"])
    assert [d["digit"] for d in answers[0]["digits"]] == [2, 0, 2, 4]
    assert all(len(d["probabilities"]) == 10 and len(d["box"]) == 4 for d in answers[0]["digits"])
    assert answers[0]["unsure"] is False
    assert cli.main(["predict", str(default_model_path), str(year), str(seven)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("year.png: 2024 (2 ") or lines[0].startswith(f"{year}: 2024 (2 ")
    assert lines[1].startswith(f"{seven}: 7 (") and lines[1].endswith("%)")


def test_a_digit_s_ink_is_read_once_per_reading(clear_digits, predictor, monkeypatch):
    # The ink (each pixel's distance from the background) was read three times a stroke: by
    # the page's own "is there ink?", by the cut, and again for the digit read whole (~0.6 ms
    # each on the canvas's 280x280; bench/stroke_cost.py).
    from mnist_core.reading import ink

    number = "7"
    canvas = np.dstack([np.pad(number_image(clear_digits, number), 40)] * 3)
    reads, distance = [], ink._distance_from_background
    monkeypatch.setattr(ink, "_distance_from_background",
                        lambda a: reads.append(a.shape[:2]) or distance(a))
    reading = predictor.predict_number(canvas)
    assert reading.number == number
    assert reads.count(canvas.shape[:2]) == 1, reads


@pytest.mark.parametrize("number, dot", [("3", False), ("0", False), ("3", True), ("42", False)])
def test_one_digit_alone_is_told_without_cutting_and_as_the_cut_says(clear_digits, number, dot):
    """`InkGroups.one_digit` lets a reading skip the cut; it must hold exactly where the cut
    gives one blob, one way, one piece and no mark, and box that piece as the cut does."""
    from mnist_core.reading.ink import ink_map
    from mnist_core.reading.segment import ink_groups, split_ink

    image = number_image(clear_digits, number)
    if dot:
        image[40:48, -20:-12] = 255
    ink = ink_map(image)
    groups, cut = ink_groups(ink), split_ink(ink, 3)
    alone = len(cut.options) == 1 and len(cut.options[0]) == 1 and not cut.ignored
    assert groups.one_digit == alone == (number != "42" and not dot)
    if alone:
        assert cut.boxes == [groups.box(0, 3)] == [tuple(int(v) * 3 for v in groups.boxes[0])]
    assert _same_cut(split_ink(ink, 3, groups), cut)  # the groups given, or found again


def test_a_wide_digit_alone_is_still_offered_cut():
    """One blob wider than `UNSURE_RATIO` heights may be two touching digits: not alone."""
    from mnist_core.reading.ink import ink_map
    from mnist_core.reading.segment import UNSURE_RATIO, ink_groups

    wide = np.zeros((80, 200), np.uint8)
    wide[30:50, 10:190] = 255  # a long dash: 9 times wider than high
    groups = ink_groups(ink_map(wide))
    x0, y0, x1, y1 = groups.boxes[0]
    assert (x1 - x0) / (y1 - y0) > UNSURE_RATIO and not groups.one_digit


def _same_cut(a, b):
    def flat(cut):  # every way's pieces, with the shape of the options around them
        return [(i, j, len(ways), len(way), piece, box) for i, ways in enumerate(cut.options)
                for j, way in enumerate(ways) for piece, box in way]

    pieces_a, pieces_b = flat(a), flat(b)
    return (a.ignored == b.ignored and a.choice == b.choice and len(a.options) == len(b.options)
            and len(pieces_a) == len(pieces_b)
            and all(x[:4] == y[:4] and np.array_equal(x[4], y[4]) and x[5] == y[5]
                    for x, y in zip(pieces_a, pieces_b)))
