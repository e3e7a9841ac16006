"""The live view's callbacks on tiny data: the batch curve stays bounded and true to the batches,
and each epoch sends the grid's answers, the first convolution's filters and the drawing's
reading; the command channel's drawings are checked at both ends."""

import base64
import os
import threading

import numpy as np
import pytest

from mnist_core.jobs.batch_curve import BatchCurve, batch_mean
from mnist_core.jobs.state import MAX_CURVE_POINTS
from mnist_core.jobs.drawing_command import MAX_COMMAND_CHARS, decode_drawing, encode_drawing
from mnist_core.jobs.epoch_snapshot import EpochSnapshot, first_conv_filters, grid_indices


class FakeFit:
    """Drives a `BatchCurve` as Keras would, with no model: running means of given batch values."""

    def __init__(self, epochs, steps, every=1, max_points=MAX_CURVE_POINTS, known=True):
        self.points = []
        self.curve = BatchCurve(self.points.append, max_points=max_points)
        self.curve.set_params({"epochs": epochs, "steps": steps if known else None})
        self.epochs, self.steps, self.every = epochs, steps, every

    def run(self, value_of):
        """`value_of(epoch, batch)` is each batch's loss; accuracy is 1 - loss."""
        self.curve.on_train_begin()
        for epoch in range(self.epochs):
            self.curve.on_epoch_begin(epoch)
            total = 0.0
            for batch in range(self.steps):
                total += value_of(epoch, batch)
                if (batch + 1) % self.every == 0 or batch + 1 == self.steps:
                    mean = total / (batch + 1)
                    self.curve.on_train_batch_end(batch, {"loss": mean, "accuracy": 1 - mean})
        return self.points


def test_batch_mean_takes_the_recent_batches_out_of_two_running_means():
    values = [4.0, 2.0, 1.0, 1.0, 0.5]
    mean = lambda n: sum(values[:n]) / n  # noqa: E731
    assert batch_mean(0.0, 0, mean(2), 2) == pytest.approx(3.0)
    assert batch_mean(mean(2), 2, mean(5), 5) == pytest.approx((1.0 + 1.0 + 0.5) / 3)


def test_a_long_training_of_small_batches_sends_a_bounded_evenly_spread_curve():
    # 50 epochs of batch 8 over 60,000 images: 375,000 batches, reported in groups of 32.
    points = FakeFit(epochs=50, steps=7500, every=32).run(lambda e, b: 1.0 / (1 + e))
    assert MAX_CURVE_POINTS - 2 <= len(points) <= MAX_CURVE_POINTS
    xs = [point["x"] for point in points]
    assert xs == sorted(xs) and xs[-1] == 50.0
    gaps = np.diff(xs)
    assert gaps.max() < 2 * 50 / MAX_CURVE_POINTS  # evenly spread, no bunching
    assert len(str(points)) < 20_000  # what the page redraws every second stays small


def test_a_short_training_sends_a_point_per_report_and_the_curve_follows_the_batches():
    # Loss 1.0 for the first half of the batches, then 0.0: the running mean hides the drop,
    # the curve must show it.
    points = FakeFit(epochs=1, steps=100, every=10).run(
        lambda e, b: 1.0 if b < 50 else 0.0)
    assert len(points) == 10
    assert points[4]["loss"] == pytest.approx(1.0)
    assert points[-1]["loss"] < 0.35  # the running mean would still say 0.5
    assert points[-1]["accuracy"] > 0.65


def test_an_unknown_epoch_length_sends_no_curve():
    assert FakeFit(epochs=2, steps=10, known=False).run(lambda e, b: 1.0) == []


def test_grid_takes_the_first_four_of_each_class_in_class_order():
    labels = np.array([3, 1, 0, 1, 1, 1, 1, 9, 0] + list(range(10)) * 5)
    chosen = grid_indices(labels)
    assert len(chosen) == 40 and list(labels[chosen]) == sorted(labels[chosen])
    assert list(chosen[:4]) == [2, 8, 9, 19] and list(chosen[4:6]) == [1, 3]
    assert np.array_equal(grid_indices(labels), chosen)


@pytest.mark.parametrize("bad", [
    np.zeros((28, 27)), np.zeros((28, 28), dtype=np.uint8), np.full((28, 28), np.nan),
    np.full((28, 28), 1.5), -np.ones((28, 28)), np.zeros((28, 28, 1)), [[0.5] * 28] * 28])
def test_only_a_28x28_array_in_0_1_is_encoded(bad):
    with pytest.raises(ValueError):
        encode_drawing(bad)


def test_a_drawing_survives_the_command_line_at_8_bits_and_nothing_else_decodes():
    image = np.linspace(0, 1, 784, dtype=np.float32).reshape(28, 28)
    text = encode_drawing(image)
    assert len(text) == 1048 and len("drawing " + text) == MAX_COMMAND_CHARS
    assert np.abs(decode_drawing(text) - image).max() <= 0.5 / 255 + 1e-6
    too_long = base64.b64encode(bytes(785)).decode()
    for hostile in ("", "none", "!" * 1048, too_long, "A" * 10_000_000, None, 12):
        assert decode_drawing(hostile) is None


def test_the_worker_keeps_only_well_formed_drawings_and_drops_overlong_lines(monkeypatch):
    from mnist_core.jobs import worker as train_worker

    read, write = os.pipe()
    image = np.full((28, 28), 0.5, dtype=np.float32)
    commands = (b"drawing " + encode_drawing(image).encode() + b"\n"
                + b"drawing " + b"A" * 5_000_000 + b"\n"  # an attack: dropped, not kept
                + b"drawing rubbish\n")
    stop, drawing = threading.Event(), train_worker.Drawing()
    exits = []

    def no_exit(code):
        exits.append(code)
        raise SystemExit

    monkeypatch.setattr(train_worker.os, "_exit", no_exit)
    writer = threading.Thread(target=lambda: (os.write(write, commands), os.close(write)))
    writer.start()
    try:
        with pytest.raises(SystemExit):
            train_worker.listen(read, stop, drawing)
    finally:
        writer.join()
        os.close(read)
    assert exits == [train_worker.EXIT_ORPHANED] and not stop.is_set()
    assert np.abs(drawing() - 0.5).max() < 0.01  # the good one, not overwritten
    drawing.command("none")
    assert drawing() is None


def test_each_epoch_sends_the_grids_answers_the_filters_and_the_drawings_reading(tiny_data):
    from mnist_core.training.trainer import train

    (_, _), (x_test, y_test) = tiny_data
    chosen = grid_indices(y_test)
    sent, drawings = [], [None, np.full((28, 28), 0.25, dtype=np.float32)]
    snapshot = EpochSnapshot(x_test[chosen], y_test[chosen],
                             lambda kind, payload: sent.append((kind, payload)),
                             drawing=lambda: drawings[len(sent) > 1])
    train("tutorial", data=tiny_data, epochs=2, batch_size=16, callbacks=[snapshot])
    assert [kind for kind, _ in sent] == ["grid", "snapshot", "snapshot"]
    grid = sent[0][1]
    assert grid["labels"] == [int(label) for label in y_test[chosen]]
    images = np.frombuffer(base64.b64decode(grid["images"]), np.uint8).reshape(-1, 28, 28)
    assert np.array_equal(images, x_test[chosen])
    first, second = sent[1][1], sent[2][1]
    assert first["epoch"] == 1 and second["epoch"] == 2
    assert len(first["answers"]) == len(chosen) and set(first["answers"]) <= set(range(10))
    assert np.asarray(first["filters"]).shape == (32, 3, 3)
    assert first["filters"] != second["filters"]  # the filters as they are now
    assert first["drawing"] is None
    assert sum(second["drawing"]["probabilities"]) == pytest.approx(1, abs=1e-3)
    assert decode_drawing(second["drawing"]["image"]) == pytest.approx(0.25, abs=0.01)
    assert len(str(second)) < 8_000


def test_the_first_convolution_is_found_inside_a_nested_model():
    import keras

    inner = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Rescaling(1.0),
                              keras.layers.Conv2D(5, 4, name="anything")])
    outer = keras.Sequential([keras.Input((28, 28, 1)), inner, keras.layers.Conv2D(7, 3)])
    assert first_conv_filters(outer).shape == (5, 4, 4)
    assert first_conv_filters(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])) is None


def test_in_a_real_fit_the_curve_keeps_to_its_bound(tiny_data):
    from mnist_core.training.trainer import train

    points = []
    # 12 epochs of 64 images in batches of 2: 12 reports (groups of 32 batches), 5 points kept.
    train("tutorial", data=tiny_data, epochs=12, batch_size=2,
          callbacks=[BatchCurve(points.append, max_points=5)])
    assert len(points) == 5
    assert [point["x"] for point in points] == pytest.approx([3, 5, 8, 10, 12], abs=1.01)
