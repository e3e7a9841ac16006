"""Prediction: the fast path gives what model.predict gives."""

import numpy as np
import pytest

from mnist_core.reading.inference import Predictor


def test_fast_path_matches_model_predict(tutorial_model):
    model = tutorial_model
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    fast = Predictor(model).probabilities(images)
    np.testing.assert_allclose(fast, model.predict(images[..., None], verbose=0), atol=1e-5)
    assert fast.shape == (5, 10) and np.allclose(fast.sum(axis=1), 1, atol=1e-5)


def test_predicts_a_real_test_digit(tutorial_model, mnist):
    (_, _), (x_test, y_test) = mnist
    prediction = Predictor(tutorial_model).predict_prepared(
        x_test[0] / 255.0)
    assert prediction.digit == y_test[0] == 7 and prediction.confidence > 0.9
    assert prediction.image.shape == (28, 28) and prediction.image.dtype == np.float32


def test_a_read_calls_the_traced_graph_directly_and_gives_the_models_answer(tutorial_model):
    # A tf.function call binds its arguments to its signature and looks its graph up at every
    # call, ~0.6 ms of a stroke's CPU (bench/README.md): reads call the traced graph itself.
    predictor = Predictor(tutorial_model)
    images = np.random.default_rng(1).random((3, 28, 28), dtype=np.float32)
    predictor.read(images)

    def refused(*args, **kwargs):
        raise AssertionError("a read went through the tf.function's dispatch")

    traced = predictor._forward_with_gate
    predictor._forward_with_gate = type("Refusing", (), {
        "__call__": refused, "get_concrete_function": traced.get_concrete_function})()
    readings = predictor.read(images)
    expected = tutorial_model.predict(images[..., None], verbose=0)
    np.testing.assert_allclose([r.probabilities for r in readings], expected, atol=1e-5)
    assert [r.digit for r in readings] == list(np.argmax(expected, axis=1))


@pytest.mark.parametrize("compiled", [False, True], ids=["traced", "compiled"])
def test_batch_work_lets_a_strokes_reading_under_way_pass_first(tutorial_model, compiled):
    # A test-set report in the server shares TensorFlow's one thread of kernels with the
    # strokes: before each of its batches it waits while a stroke is being read, by
    # TensorFlow's traced call or by the compiled one (its CPU is the report's too).
    import threading
    import time

    from mnist_core.reading import inference

    assert inference.let_readings_pass(timeout=0.0)  # nothing read: no wait
    predictor = Predictor(tutorial_model, compiled=compiled)
    predictor.read(np.zeros((1, 28, 28), np.float32))
    entered, release = threading.Event(), threading.Event()
    read = predictor._compiled if compiled else predictor._with_gate_traced()

    def slow_read(images):  # a stroke's reading that takes its time
        entered.set()
        release.wait(5)
        return read(images)

    if compiled:
        predictor._compiled = slow_read
    else:
        predictor._traced = slow_read
    stroke = threading.Thread(target=predictor.read, args=(np.zeros((1, 28, 28), np.float32),))
    stroke.start()
    assert entered.wait(5)
    start = time.monotonic()
    assert not inference.let_readings_pass(timeout=0.2)  # under way: waited, then gave up
    assert time.monotonic() - start >= 0.19
    passed = []
    batch = threading.Thread(target=lambda: passed.append(inference.let_readings_pass(5.0)))
    batch.start()
    time.sleep(0.1)
    assert not passed, "the batch went on while the stroke was read"
    release.set()
    stroke.join(5)
    batch.join(5)
    assert passed == [True]
