"""A model traced before its job trains exactly as the one the job builds would have."""

import numpy as np
import pytest

from mnist_core.training.batches import in_order_batches, prepared_mnist, shuffled_batches
from mnist_core.training.model import prepare_split
from mnist_core.training.ready_models import ReadyModels
from mnist_core.training.recipes import dtype_for, get_recipe
from mnist_core.training.trainer import train

IMAGES, BATCH = 1024, 64  # 16 batches: one report per batch, as a short job's


def _ready(data, recipe_name, epochs):
    import keras

    (x, y), (x_test, y_test) = data
    recipe, ready = get_recipe(recipe_name), ReadyModels()
    ready.prepare(recipe, -(-IMAGES // BATCH), epochs, dtype_for("auto"),
                  shuffled_batches(x[:2 * BATCH], y[:2 * BATCH], BATCH, 0, prepared_mnist),
                  in_order_batches(*prepare_split(x_test[:BATCH], y_test[:BATCH]), BATCH))
    keras.utils.clear_session()  # as the spare does before its job
    return ready


@pytest.mark.slow
def test_a_ready_model_trains_to_the_very_weights_of_a_fresh_one(mnist):
    import keras

    settings = dict(data=mnist, epochs=2, batch_size=BATCH, limit=IMAGES, seed=5)
    keras.utils.clear_session()  # a fresh process's layer names, as a fresh worker has
    fresh = train("quick", **settings)
    ready = _ready(mnist, "quick", 2)
    traced = ready._models["quick"]
    taken = train("quick", ready=ready, **settings)
    assert taken.model is traced and "quick" not in ready  # handed over, once
    assert taken.history == fresh.history
    for mine, theirs in zip(taken.model.get_weights(), fresh.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert [layer.name for layer in taken.model.layers] == [
        layer.name for layer in fresh.model.layers]


@pytest.mark.slow
def test_other_settings_train_a_model_of_their_own(mnist):
    ready = _ready(mnist, "quick", 3)  # the schedule of 3 epochs, the job asks for 2
    traced = ready._models["quick"]
    taken = train("quick", data=mnist, epochs=2, batch_size=BATCH, limit=IMAGES, ready=ready)
    assert taken.model is not traced
