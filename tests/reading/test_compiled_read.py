"""A stroke's one image read through LiteRT: the same answers as TensorFlow's, and TensorFlow
wherever LiteRT is missing, cannot compile a model, or would answer differently."""

import logging
import sys
import threading

import numpy as np
import pytest
import tensorflow as tf

from mnist_core.reading import compiled_read
from mnist_core.reading.compiled_read import CompiledRead, compile_read
from mnist_core.reading.inference import Predictor
from mnist_core.reading.not_a_digit import NOT_A_DIGIT, SEVERAL_DIGITS


def _images(count, seed=0):
    return np.random.default_rng(seed).random((count, 28, 28), dtype=np.float32)


def _refusing(*args):
    raise AssertionError("the compiled read was called")


@pytest.mark.parametrize("name", ["tutorial_model", "strong_model"])
def test_a_strokes_image_is_read_compiled_with_tensorflows_answer(name, request):
    # The strong model computes in bfloat16 where the CPU has it: a stroke's read is its
    # float32 twin either way (mnist_core.reading.compute_precision), compiled here.
    model = request.getfixturevalue(name)
    compiled, plain = Predictor(model, compiled=True), Predictor(model)
    gate = plain.gate.probabilities(_images(20))  # the gate asked on its own
    for image, asked in zip(_images(20), gate):
        got, expected = compiled.read(image[None])[0], plain.read(image[None])[0]
        np.testing.assert_allclose(got.probabilities, expected.probabilities, atol=1e-5)
        assert abs(got.not_digit_score - expected.not_digit_score) < 1e-5
        for reading in (got, expected):
            assert abs(reading.several_digits_score - asked[SEVERAL_DIGITS]) < 1e-5
            assert abs(reading.not_digit_score - asked[NOT_A_DIGIT]) < 1e-5
        assert (got.digit, got.not_a_digit) == (expected.digit, expected.not_a_digit)
        assert got.probabilities.shape == (10,) and got.probabilities.dtype == np.float32
    assert isinstance(compiled._compiled, CompiledRead)
    assert plain._compiled is None


def test_a_strokes_few_pieces_are_read_compiled_one_by_one(tutorial_model):
    # A number's pieces, or one blob read whole and cut: a few images, each through the
    # compiled read, cheaper than one TensorFlow batch of so few (bench/README.md).
    from mnist_core.reading.inference import COMPILED_BATCH

    predictor, plain = Predictor(tutorial_model, compiled=True), Predictor(tutorial_model)
    images = _images(COMPILED_BATCH, seed=4)
    calls = []
    predictor.read(images[:1])
    real = predictor._compiled
    predictor._compiled = lambda image: calls.append(1) or real(image)
    readings, expected = predictor._read(images, strokes=True), plain.read(images)
    assert len(calls) == COMPILED_BATCH
    np.testing.assert_allclose([r.probabilities for r in readings],
                               [e.probabilities for e in expected], atol=1e-5)
    np.testing.assert_allclose([r.not_digit_score for r in readings],
                               [e.not_digit_score for e in expected], atol=1e-5)
    assert [(r.digit, r.not_a_digit) for r in readings] == [
        (e.digit, e.not_a_digit) for e in expected]
    np.testing.assert_array_equal([r.image for r in readings], images)


def test_a_drawn_number_is_read_through_the_compiled_read(tutorial_model, mnist):
    (_, _), (x_test, y_test) = mnist
    number = np.hstack([x_test[0], np.zeros((28, 12), np.uint8), x_test[1]])  # 7 and 2
    predictor, plain = Predictor(tutorial_model, compiled=True), Predictor(tutorial_model)
    predictor.read(_images(1))
    calls = []
    real = predictor._compiled
    predictor._compiled = lambda image: calls.append(1) or real(image)
    got = predictor.predict_number(number)
    assert len(calls) >= 2 and got.number == plain.predict_number(number).number == "72"


@pytest.mark.parametrize("count", [3, "larger"])
def test_a_batch_or_a_strokes_many_pieces_are_read_by_tensorflow(tutorial_model, count):
    # A score or a comparison reads its batch with TensorFlow (its model need never compile),
    # and so does a stroke of more pieces than COMPILED_BATCH.
    from mnist_core.reading.inference import COMPILED_BATCH

    predictor = Predictor(tutorial_model, compiled=True)
    predictor.read(_images(1))
    predictor._compiled = _refusing
    images = _images(COMPILED_BATCH + 1 if count == "larger" else count)
    readings = (predictor._read(images, strokes=True) if count == "larger"
                else predictor.read(images))
    expected = tutorial_model.predict(images[..., None], verbose=0)
    np.testing.assert_allclose([r.probabilities for r in readings], expected, atol=1e-5)


def test_strokes_read_at_once_each_get_their_own_answer(tutorial_model):
    # One interpreter holds its tensors between calls: reads from several threads take turns.
    predictor = Predictor(tutorial_model, compiled=True)
    images = _images(40, seed=3)
    expected = [predictor.read(image[None])[0].probabilities for image in images]
    got = [[] for _ in range(4)]

    def strokes(k):
        got[k] = [predictor.read(image[None])[0].probabilities for image in images]

    threads = [threading.Thread(target=strokes, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for answers in got:
        np.testing.assert_array_equal(answers, expected)


def test_without_litert_strokes_are_read_by_tensorflow(tutorial_model, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import fails
    caplog.set_level(logging.INFO, logger=compiled_read.__name__)
    predictor = Predictor(tutorial_model, compiled=True)
    reading = predictor.read(_images(1))[0]
    assert predictor._compiled is None
    expected = tutorial_model.predict(_images(1)[..., None], verbose=0)[0]
    np.testing.assert_allclose(reading.probabilities, expected, atol=1e-5)
    assert "not installed" in caplog.text


class _Variables(tf.Module):
    """An owner with no variables, for functions of the images alone."""


def _two_softmaxes(images):
    flat = tf.reshape(images, [-1, 784])
    return tf.nn.softmax(flat[:, :10]), tf.nn.softmax(flat[:, 10:22])


def test_a_model_litert_cannot_compile_is_refused_in_the_log(caplog):
    def with_svd(images):  # tf.Svd has no LiteRT kernel
        singular = tf.linalg.svd(tf.reshape(images[:, :12, :12, 0], [-1, 12, 12]),
                                 compute_uv=False)
        return _two_softmaxes(images)[0], tf.nn.softmax(singular)

    caplog.set_level(logging.WARNING, logger=compiled_read.__name__)
    assert compile_read(with_svd, _Variables()) is None
    assert "LiteRT could not compile it" in caplog.text


def test_compiled_outputs_come_in_the_functions_order():
    # The converter lists these two outputs widest first; the probe puts them back in order.
    compiled = compile_read(_two_softmaxes, _Variables())
    image = _images(1, seed=5)
    got = compiled(image)
    expected = [t.numpy() for t in _two_softmaxes(tf.constant(image[..., None]))]
    assert [a.shape for a in got] == [(1, 10), (1, 12)]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_a_compiled_function_answering_otherwise_than_tensorflow_is_refused(monkeypatch,
                                                                          caplog):
    # As if the conversion had changed the arithmetic: its outputs match none of TensorFlow's.
    real = compiled_read._matching
    monkeypatch.setattr(compiled_read, "_matching",
                        lambda expected, found: real([e + 0.01 for e in expected], found))
    caplog.set_level(logging.WARNING, logger=compiled_read.__name__)
    assert compile_read(_two_softmaxes, _Variables()) is None
    assert "answered a probe image differently" in caplog.text


def test_outputs_are_matched_one_to_one_by_value():
    a, b = np.full((1, 3), 0.2, np.float32), np.full((1, 3), 0.5, np.float32)
    assert compiled_read._matching([a, b], {7: b, 4: a}) == [4, 7]
    assert compiled_read._matching([a, a], {7: a, 4: b}) is None  # one output, used once
    assert compiled_read._matching([a], {7: a, 4: b}) is None  # an output left over
    assert compiled_read._matching([a], {7: a[:, :2]}) is None  # another shape
