"""The training batches: fit's, without the autotuning thread that delayed fit's return."""

import numpy as np

from mnist_core.training.batches import shuffled_batches


def _epoch(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_each_epoch_is_every_image_once_in_a_new_order_with_the_remainder_last():
    images = np.arange(10, dtype="float32").reshape(10, 1) * 10
    labels = np.arange(10, dtype="float32")
    dataset = shuffled_batches(images, labels, 4, seed=3)
    assert not dataset.options().autotune.enabled
    first, second = _epoch(dataset), _epoch(dataset)
    for epoch in (first, second):
        assert [len(y) for _, y in epoch] == [4, 4, 2]
        order = np.concatenate([y for _, y in epoch])
        assert sorted(order) == list(range(10))
        np.testing.assert_array_equal(np.concatenate([x for x, _ in epoch])[:, 0], order * 10)
    assert not np.array_equal(*(np.concatenate([y for _, y in e]) for e in (first, second)))
    again = _epoch(shuffled_batches(images, labels, 4, seed=3))
    np.testing.assert_array_equal(np.concatenate([y for _, y in again]),
                                  np.concatenate([y for _, y in first]))


def _what_fit_is_given(monkeypatch):
    """Trains the tutorial recipe on 20 random images in batches of 8, up to `fit`; returns the
    data `fit` was given and the test data."""
    import keras

    from mnist_core.training.trainer import train

    given = {}

    class Stop(Exception):
        pass

    def fit(self, x=None, *args, **kwargs):
        given["x"], given["validation"] = x, kwargs["validation_data"]
        raise Stop

    monkeypatch.setattr(keras.Model, "fit", fit)
    rng = np.random.default_rng(0)
    data = ((rng.integers(0, 255, (20, 28, 28), dtype="uint8"), rng.integers(0, 10, 20)),
            (rng.integers(0, 255, (5, 28, 28), dtype="uint8"), rng.integers(0, 10, 5)))
    try:
        train("tutorial", data=data, epochs=1, batch_size=8)
    except Stop:
        pass
    return given["x"], given["validation"], data[1]


def test_training_fits_on_those_batches(monkeypatch):
    batches, _, _ = _what_fit_is_given(monkeypatch)
    assert not batches.options().autotune.enabled
    assert [len(y) for _, y in batches] == [8, 8, 4]


def test_a_batch_is_prepared_to_the_very_numbers_the_tutorial_prepares_all_images_to():
    from mnist_core.training.batches import prepared_mnist
    from mnist_core.training.model import prepare_images, prepare_labels

    rng = np.random.default_rng(1)
    every_level = np.resize(np.arange(256, dtype="uint8"), (1, 28, 28))
    images = np.concatenate([every_level, rng.integers(0, 256, (31, 28, 28), dtype="uint8")])
    labels = rng.integers(0, 10, 32).astype("uint8")
    x, y = prepared_mnist(images, labels)
    assert x.dtype.name == "float32" and x.shape == (32, 28, 28, 1)
    np.testing.assert_array_equal(x.numpy(), prepare_images(images))  # bit for bit
    np.testing.assert_array_equal(y.numpy(), prepare_labels(labels))


def test_training_keeps_the_images_in_uint8_and_trains_on_prepared_batches(monkeypatch):
    batches, validation, (x_test, y_test) = _what_fit_is_given(monkeypatch)
    x, y = next(iter(batches))
    assert x.dtype.name == "float32" and x.shape == (8, 28, 28, 1) and y.shape == (8, 10)
    assert float(x.numpy().max()) <= 1.0 and sorted(set(y.numpy().ravel())) == [0.0, 1.0]
    assert not validation.options().autotune.enabled
    [(X_test, Y_test)] = list(validation)  # 5 test images: one validation batch
    np.testing.assert_array_equal(X_test.numpy(), x_test.reshape(5, 28, 28, 1) / np.float32(255))
    assert Y_test.numpy().argmax(1).tolist() == y_test.tolist()
