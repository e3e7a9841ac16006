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


def test_training_fits_on_those_batches(monkeypatch):
    import keras

    from mnist_core.training.trainer import train

    given = {}

    class Stop(Exception):
        pass

    def fit(self, x=None, *args, **kwargs):
        given["x"] = x
        raise Stop

    monkeypatch.setattr(keras.Model, "fit", fit)
    rng = np.random.default_rng(0)
    data = ((rng.integers(0, 255, (20, 28, 28), dtype="uint8"), rng.integers(0, 10, 20)),
            (rng.integers(0, 255, (5, 28, 28), dtype="uint8"), rng.integers(0, 10, 5)))
    try:
        train("tutorial", data=data, epochs=1, batch_size=8)
    except Stop:
        pass
    assert not given["x"].options().autotune.enabled
    assert [len(y) for _, y in given["x"]] == [8, 8, 4]
