"""The fused Adam update: Keras' Adam's maths in one kernel, and nothing else changed."""

import numpy as np

from mnist_core.training.fused_adam import fuse_adam_updates


def _after_steps(fused, steps=4):
    """Two variables after `steps` Adam updates with fixed, varying gradients (a schedule too)."""
    import keras

    rng = np.random.default_rng(0)
    weights = [keras.Variable(rng.standard_normal(shape).astype("float32"))
               for shape in ((5, 3), (3,))]
    rate = keras.optimizers.schedules.ExponentialDecay(1e-2, 2, 0.5)
    optimizer = keras.optimizers.Adam(rate)
    if fused:
        fuse_adam_updates(optimizer)
    for _ in range(steps):
        optimizer.apply_gradients([(rng.standard_normal(w.shape).astype("float32"), w)
                                   for w in weights])
    return [w.numpy() for w in weights], optimizer


def test_fused_adam_gives_keras_adams_weights():
    (keras_adam, plain), (fused, fused_optimizer) = _after_steps(False), _after_steps(True)
    assert "update_step" in vars(fused_optimizer) and "update_step" not in vars(plain)
    start, _ = _after_steps(False, steps=0)
    for before, a, b in zip(start, keras_adam, fused):
        assert not np.allclose(a, before)  # the steps moved the weights...
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # ...the same way (to rounding)


def test_fused_adam_leaves_what_it_does_not_compute_alone():
    import keras

    for optimizer in (keras.optimizers.Adam(amsgrad=True), keras.optimizers.Adam(weight_decay=0.1),
                      keras.optimizers.AdamW(), keras.optimizers.SGD()):
        assert "update_step" not in vars(fuse_adam_updates(optimizer))


def test_a_recipe_model_saves_as_plain_adam(tmp_path):
    import keras

    from mnist_core.training.recipes import RECIPES

    for recipe in RECIPES.values():
        model = recipe.build(10, 1)
        assert "update_step" in vars(model.optimizer), recipe.name  # the recipe fused it
    model.optimizer.build(model.trainable_variables)  # its state saved, as after training
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert type(again.optimizer) is keras.optimizers.Adam
    assert "update_step" not in vars(again.optimizer)
