"""Prediction: the fast path gives what model.predict gives."""

import numpy as np

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
