"""The European-style evaluation set, the stroked training digits, and the strong recipe's share."""

import numpy as np
import pytest

from mnist_core.data.drawn_digits import CANVAS_SIZE, scheme_of
from mnist_core.data.european_digits import (EUROPEAN_FORMS, EVAL_SEED, ORDINARY_FORMS, all_forms,
                                        eval_forms, form_name, make_european_digits,
                                        make_stroked_training_digits)
from mnist_core.reading.ink import has_ink
from mnist_core.reading.preprocess import to_mnist_input
from mnist_core.training.recipes import get_recipe
from mnist_core.training.synthetic_share import synthetic_count, with_synthetic_share
from mnist_core.training.trainer import make_metadata, training_arrays
from tests.conftest import make_tiny_data


def test_same_seed_gives_the_same_set_and_a_short_set_starts_a_longer_one():
    images, labels = make_european_digits(12)
    again, labels_again = make_european_digits(12)
    longer, longer_labels = make_european_digits(23)
    np.testing.assert_array_equal(labels, labels_again)
    np.testing.assert_array_equal(labels, longer_labels[:12])
    assert all(np.array_equal(a, b) and np.array_equal(a, c)
               for a, b, c in zip(images, again, longer))


def test_classes_are_balanced_and_every_drawing_has_ink_in_its_scheme():
    images, labels = make_european_digits(30)
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 3))
    for i, image in enumerate(images):
        channels = 3 if scheme_of(i) == "black_on_white" else 4
        assert image.shape == (CANVAS_SIZE, CANVAS_SIZE, channels) and image.dtype == np.uint8
        assert has_ink(image)


def test_the_set_draws_the_european_forms_of_1_2_4_7_and_9():
    assert set(EUROPEAN_FORMS) == {1, 2, 4, 7, 9} and len(EUROPEAN_FORMS[1]) == 2  # foot or not
    for label in range(10):
        expected = EUROPEAN_FORMS.get(label, ORDINARY_FORMS[label])
        assert eval_forms(label) == expected
        assert set(expected) <= set(all_forms(label))
    assert [form_name(i) for i in range(10)] == [
        "european" if d in (1, 2, 4, 7, 9) else "ordinary" for d in range(10)]


def test_each_form_varies_its_shape_from_one_image_to_the_next():
    for label in range(10):
        for form in all_forms(label):
            first = form(np.random.default_rng(1))
            other = form(np.random.default_rng(2))
            assert repr(first) != repr(other), (label, form)
            aspect, strokes = first
            points = np.concatenate([np.asarray(s, float) for s in strokes])
            assert 0.2 < aspect < 1.0 and points.min() > -0.2 and points.max() < 1.2


def test_a_trained_reader_agrees_with_every_label(strong_model):
    # Pins the labels, not the model's quality: a wrong label would be read wrong nearly always.

    model = strong_model
    images, labels = make_european_digits(50)
    x = np.stack([to_mnist_input(image) for image in images])[..., None]
    right = np.argmax(model.predict(x, verbose=0), axis=1) == labels
    for label in range(10):
        assert right[labels == label].mean() >= 0.6, label


def test_training_digits_never_repeat_an_evaluation_image():
    images, _ = make_european_digits(20, seed=EVAL_SEED)
    evaluation = np.round(255 * np.stack([to_mnist_input(image) for image in images]))
    for seed in (0, 1, EVAL_SEED):  # even a training seed equal to the evaluation seed
        x, _ = make_stroked_training_digits(20, seed)
        assert not any(np.array_equal(a, b) for a in x for b in evaluation)


def test_training_digits_are_mnist_style_uint8_with_cycling_labels():
    x, y = make_stroked_training_digits(25, seed=3)
    assert x.shape == (25, 28, 28) and x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(y, np.arange(25) % 10)
    assert np.all(x.reshape(25, -1).max(axis=1) > 200)  # every image holds a digit
    again, _ = make_stroked_training_digits(25, seed=3)
    np.testing.assert_array_equal(x, again)


@pytest.mark.parametrize("mnist, share, expected", [(85, 0.15, 15), (60000, 0.15, 10588),
                                                    (100, 0.0, 0)])
def test_synthetic_count_makes_the_share_of_the_whole_epoch(mnist, share, expected):
    assert synthetic_count(mnist, share) == expected


def test_only_the_strong_recipe_adds_stroked_digits():
    (x, y), _ = make_tiny_data(n_train=85, n_test=10)
    for name in ("tutorial", "quick"):
        got_x, got_y, info = training_arrays(get_recipe(name), x, y, seed=0)
        assert got_x is x and got_y is y and info["synthetic_images"] == 0
    got_x, got_y, info = training_arrays(get_recipe("strong"), x, y, seed=0)
    assert len(got_x) == len(got_y) == 100 and info["synthetic_images"] == 15
    np.testing.assert_array_equal(got_x[:85], x)
    np.testing.assert_array_equal(got_y[85:], np.arange(15) % 10)
    assert got_y.dtype == y.dtype and got_x.dtype == np.uint8


def test_stroked_digits_are_drawn_once_per_setting(monkeypatch):
    from mnist_core.training import synthetic_share

    calls = []

    def counting(n, seed):
        calls.append((n, seed))
        return make_stroked_training_digits(n, seed)

    monkeypatch.setattr(synthetic_share, "make_stroked_training_digits", counting)
    synthetic_share._cached_digits.cache_clear()
    (x, y), _ = make_tiny_data(n_train=17, n_test=10)
    first = with_synthetic_share(x, y, 0.15, seed=5)[0][17:]
    second = with_synthetic_share(x, y, 0.15, seed=5)[0][17:]
    other = with_synthetic_share(x, y, 0.15, seed=6)[0][17:]
    synthetic_share._cached_digits.cache_clear()
    np.testing.assert_array_equal(first, second)
    assert calls == [(3, 5), (3, 6)] and other.tobytes() != first.tobytes()


def test_the_tutorial_recipe_trains_on_mnist_alone(tiny_data, monkeypatch):
    from mnist_core.training import synthetic_share
    from mnist_core.training.trainer import train

    def refuse(n, seed):
        raise AssertionError("the tutorial recipe drew stroked digits")

    monkeypatch.setattr(synthetic_share, "make_stroked_training_digits", refuse)
    synthetic_share._cached_digits.cache_clear()
    result = train("tutorial", data=tiny_data, epochs=1, batch_size=16)
    assert result.metadata["train_images"] == 64 and "synthetic_images" not in result.metadata


def test_metadata_tells_how_many_stroked_digits_were_added():
    args = ("strong", 1, 8, 85, 0, 0.9, 0.1, 2.0, {"loss": [0.5]})
    assert "synthetic_images" not in make_metadata(*args)
    meta = make_metadata(*args, synthetic_images=15, synthetic_seconds=0.04)
    assert meta["train_images"] == 85 and meta["synthetic_images"] == 15
    assert meta["synthetic_seconds"] == 0.0
