"""Recorded drawings in training: the ink crop kept, the held-out split, the mix, the metadata."""

import numpy as np
import pytest

from mnist_core.constants import NOT_A_DIGIT
from mnist_core.drawings.store import DrawingsDB
from mnist_core.drawings.training_mix import (
    MAX_SHARE,
    MIN_DRAWINGS,
    DrawingsExtra,
    drawings_extra,
    load_drawings,
    mix_into,
    split,
)
from mnist_core.errors import BlankImageError, MnistError
from mnist_core.reading.ink_crop import ink_crop


def test_the_ink_crop_fills_the_square_keeping_the_aspect_ratio():
    image = np.zeros((280, 280), np.uint8)
    image[100:200, 40:90] = 255  # 100 tall, 50 wide, far from the centre
    crop = ink_crop(image)
    assert crop.shape == (56, 56) and crop.dtype == np.uint8
    rows, cols = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
    assert (rows[0], rows[-1]) == (0, 55)  # the longer side fills the square
    assert 26 <= len(cols) <= 30 and abs((cols[0] + cols[-1]) / 2 - 27.5) <= 1  # centred
    assert crop.max() == 255


def test_the_ink_crop_of_an_empty_canvas_raises_the_blank_error():
    with pytest.raises(BlankImageError):
        ink_crop(np.zeros((280, 280, 4), np.uint8))


def drawings(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def test_the_split_is_the_same_every_time_and_keeps_a_fifth_out():
    x, y = drawings(50)
    first, again = split(x, y), split(x, y)
    np.testing.assert_array_equal(first.y_heldout, again.y_heldout)
    assert len(first.x_heldout) == 10 and len(first.x_train) == 40
    held = {arr.tobytes() for arr in first.x_heldout}
    assert not held & {arr.tobytes() for arr in first.x_train}  # never trained on


def test_refuses_too_few_drawings_or_a_weight_below_one_in_one_sentence():
    with pytest.raises(MnistError, match=f"at least {MIN_DRAWINGS}"):
        split(*drawings(MIN_DRAWINGS - 1))
    with pytest.raises(MnistError, match="weight"):
        split(*drawings(20), weight=0)


def test_mixing_repeats_each_drawing_weight_times():
    x_train, y_train = drawings(1000, seed=1)
    extra = DrawingsExtra(*drawings(8), *drawings(2), weight=3)
    x, y, info = mix_into(x_train, y_train, extra)
    assert len(x) == 1000 + 24 and info == {"drawings_trained": 8, "drawings_weight": 3}
    np.testing.assert_array_equal(x[1000:1008], extra.x_train)
    np.testing.assert_array_equal(x[1016:], extra.x_train)
    assert mix_into(x_train, y_train, None) == (x_train, y_train, {})


def test_mixing_caps_the_drawings_at_a_quarter_of_the_epoch():
    x_train, y_train = drawings(300)
    extra = DrawingsExtra(*drawings(90), *drawings(10), weight=50)
    x, _, info = mix_into(x_train, y_train, extra)
    assert (len(x) - 300) / len(x) <= MAX_SHARE + 1e-9
    assert info["drawings_weight"] == 1


def test_loads_an_npz_and_refuses_one_that_is_not_drawings(tmp_path):
    x, y = drawings(12)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    loaded_x, loaded_y = load_drawings(tmp_path / "d.npz")
    np.testing.assert_array_equal(loaded_x, x)
    np.savez(tmp_path / "bad.npz", x=x.astype(np.float32), y=y)
    np.savez(tmp_path / "labels.npz", x=x, y=y + 10)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    for name in ("bad.npz", "labels.npz", "junk.npz", "missing.npz"):
        with pytest.raises(MnistError):
            load_drawings(tmp_path / name)


def test_a_drawing_labelled_not_a_digit_never_trains_a_digit_class(tmp_path):
    x, y = drawings(13)
    y[[2, 5, 11]] = NOT_A_DIGIT
    np.savez(tmp_path / "d.npz", x=x, y=y)  # as `drawings export` writes them now
    db = DrawingsDB(tmp_path / "d.sqlite", per_minute=100)
    for image, label in zip(x, y):
        db.record(session="s", label=int(label), predicted=0, probabilities=np.full(10, 0.1),
                  image=image, crop=np.zeros((56, 56), np.uint8), model="m", language="en")
    db.write("UPDATE drawings SET status = 'approved'")  # the trust rule is tested on its own
    for source in ("d.npz", "d.sqlite"):
        loaded_x, loaded_y = load_drawings(tmp_path / source)
        assert loaded_y.tolist() == [label for label in y.tolist() if label != NOT_A_DIGIT]
        np.testing.assert_array_equal(loaded_x, np.delete(x, [2, 5, 11], axis=0))
        extra = drawings_extra(tmp_path / source)
        assert len(extra.y_train) + len(extra.y_heldout) == 10
        assert extra.y_train.max() <= 9 and extra.y_heldout.max() <= 9


def test_training_with_drawings_reports_the_held_out_share(tiny_data):
    from mnist_core.jobs.scored_training import train_and_score

    x, y = drawings(20)
    result = train_and_score("tutorial", data=tiny_data, epochs=1, batch_size=16,
                             drawings=split(x, y, weight=2))
    metadata = result.metadata
    assert metadata["drawings_heldout"] == 4 and metadata["drawings_trained"] == 16
    assert 0 <= metadata["drawings_accuracy"] <= 1
    assert metadata["drawings_weight"] == 1  # 64 MNIST images: 2 x 16 would pass a quarter
    plain = train_and_score("tutorial", data=tiny_data, epochs=1, batch_size=16).metadata
    assert "drawings_heldout" not in plain
    assert "drawn_accuracy" not in plain  # tiny_data's test split is not MNIST's
