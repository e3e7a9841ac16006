"""A bfloat16 model answers through a float32 twin where the CPU would emulate bfloat16."""

import keras
import numpy as np
import pytest

from mnist_core.reading import compute_precision
from mnist_core.explain.explainer import Explainer
from mnist_core.reading.inference import Predictor
from mnist_core.training.model import build_tutorial_model

IMAGES = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)


@pytest.fixture
def bf16_model():
    # Seeded: untrained, its ten outputs are near 0.1 each, and with weights drawn afresh a
    # top two closer than bfloat16's rounding swapped places in 1 run of ~20.
    keras.utils.set_random_seed(0)
    model = build_tutorial_model(dtype="mixed_bfloat16")
    model(IMAGES[:1])
    return model


def _cpu(monkeypatch, native):
    monkeypatch.setattr(compute_precision, "fast_dtype",
                        lambda: "mixed_bfloat16" if native else "float32")


def test_a_bfloat16_model_computes_in_float32_on_a_cpu_without_bfloat16(monkeypatch, bf16_model):
    _cpu(monkeypatch, native=False)
    twin = compute_precision.for_this_cpu(bf16_model)
    assert twin is not bf16_model
    assert {layer.dtype_policy.compute_dtype for layer in twin.layers} == {"float32"}
    assert [w.shape for w in twin.weights] == [w.shape for w in bf16_model.weights]
    ours, theirs = twin(IMAGES).numpy(), np.asarray(bf16_model(IMAGES), np.float32)
    assert (ours.argmax(1) == theirs.argmax(1)).all()
    np.testing.assert_allclose(ours, theirs, atol=0.02)  # bfloat16 keeps ~3 decimal digits


def test_a_bfloat16_model_is_kept_where_the_cpu_computes_bfloat16(monkeypatch, bf16_model):
    _cpu(monkeypatch, native=True)
    assert compute_precision.for_this_cpu(bf16_model) is bf16_model


def test_a_float32_model_is_kept_everywhere(monkeypatch):
    _cpu(monkeypatch, native=False)
    model = build_tutorial_model()
    assert compute_precision.for_this_cpu(model) is model


def test_predictor_and_explainer_answer_in_float32_without_bfloat16(monkeypatch, bf16_model):
    _cpu(monkeypatch, native=False)
    predictor, explainer = Predictor(bf16_model), Explainer(bf16_model)
    assert predictor.model is bf16_model and explainer.model is bf16_model
    reference = np.asarray(bf16_model(IMAGES), np.float32)
    np.testing.assert_allclose(predictor.probabilities(IMAGES), reference, atol=0.02)
    seen = explainer.explain(IMAGES[0])
    np.testing.assert_allclose(seen.probabilities, reference[0], atol=0.02)
    assert all(o.dtype == np.float32 for o in seen.outputs)


def test_a_stroke_is_read_in_float32_even_where_the_cpu_computes_bfloat16(monkeypatch,
                                                                          bf16_model):
    # One image in bfloat16 took 3.3 ms of CPU against 1.8 ms in float32 on AVX-512 BF16
    # (the model and the gate); batches (test-set reports) keep the model's own precision.
    from mnist_core.reading.not_a_digit import default_gate

    _cpu(monkeypatch, native=True)
    assert default_gate() is not None, "the package ships its not-a-digit gate"
    predictor = Predictor(bf16_model)
    twin = compute_precision.in_float32(bf16_model)
    assert {layer.dtype_policy.compute_dtype for layer in twin.layers} == {"float32"}
    read = np.stack([p.probabilities for p in predictor.read(IMAGES[..., 0])])
    np.testing.assert_allclose(read, twin(IMAGES).numpy(), atol=1e-6)
    batch = predictor.probabilities(IMAGES)
    np.testing.assert_allclose(batch, np.asarray(bf16_model(IMAGES), np.float32), atol=1e-6)
