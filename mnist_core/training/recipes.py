"""Named training recipes: the tutorial's (the default), and others that later issues add.

A recipe is everything that decides the trained weights apart from the data and the seed:
network, optimiser, loss, epochs, batch size and any augmentation.
"""

import dataclasses
from typing import Callable, Optional

import mnist_core.training.model as tutorial
from mnist_core.constants import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, INPUT_SHAPE, NUM_CLASSES
from mnist_core.cpu import fast_dtype
from mnist_core.errors import MnistError
from mnist_core.training.fused_adam import fuse_adam_updates

STEPS_PER_EXECUTION = 32
"""Batches per compiled TensorFlow call. The maths is unchanged (same batches, same updates, same
weights for a given seed); fewer round trips through Python make an epoch faster, and callbacks
still hear from training several times a second."""
REPORTS_PER_EPOCH = 16
"""At least this many batch reports per epoch where the epoch has the batches for it: a short
epoch in groups of 32 (47 batches for 6,000 images of 128) reported twice, its progress frozen
at 0 then jumping to the end. Groups of 2 cost a short epoch nothing measurable."""


def steps_per_execution(steps_per_epoch):
    """Batches per compiled call for an epoch of `steps_per_epoch` batches: 32 when the epoch
    is long (938 for the tutorial's), fewer for a short one, so that it still reports
    `REPORTS_PER_EPOCH` times; at least 1."""
    return max(1, min(STEPS_PER_EXECUTION, int(steps_per_epoch) // REPORTS_PER_EPOCH))


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A named way to train.

    Attributes:
        name: the name users type (`train --recipe NAME`).
        summary: one line shown in help texts and the app.
        epochs: default number of epochs.
        batch_size: default batch size.
        build: `build(steps_per_epoch, epochs, dtype="float32")` returns a compiled Keras
            model taking (N, 28, 28, 1) float32 in [0, 1] and returning (N, 10) probabilities;
            `dtype` is the Keras dtype policy its hidden layers compute in, as `dtype_for()`
            gives it.
        augmenter: optional `augmenter(seed)` returning a function applied to each training
            batch inside a `tf.data` pipeline (float32 (B, 28, 28, 1) in [0, 1] in and out);
            None trains on the arrays as is, exactly as the tutorial does.
        synthetic_share: fraction of each epoch's images that are digits stroked from
            templates, European forms included (`mnist_core.training.synthetic_share`); 0 trains on
            MNIST alone, as the tutorial does.
    """

    name: str
    summary: str
    epochs: int
    batch_size: int
    build: Callable
    augmenter: Optional[Callable] = None
    synthetic_share: float = 0.0


def _build_tutorial(steps_per_epoch, epochs, dtype="float32"):
    net = tutorial.build_tutorial_model(dtype=None if dtype == "float32" else dtype)
    net = tutorial.compile_tutorial(net, steps_per_execution(steps_per_epoch))
    fuse_adam_updates(net.optimizer)  # the same updates, ~1 ms less CPU a step
    return net


TUTORIAL = Recipe(
    name="tutorial",
    summary="the tutorial's CNN: Adam, categorical cross-entropy, 10 epochs of batch 64.",
    epochs=DEFAULT_EPOCHS,
    batch_size=DEFAULT_BATCH_SIZE,
    build=_build_tutorial,
)

def _warmup_cosine(peak, steps):
    """Adam's learning rate: a linear warm-up over the first fifth, then a cosine decay to 0."""
    import keras

    warmup = max(1, steps // 5)
    return keras.optimizers.schedules.CosineDecay(
        peak / 10, max(1, steps - warmup), alpha=0.0, warmup_target=peak, warmup_steps=warmup)


PRECISIONS = ("auto", "float32")
"""How a recipe computes. `auto`: in bfloat16 with float32 weights (Keras' `mixed_bfloat16`)
where the CPU computes bfloat16 natively, else float32; on a CPU with AMX that trains
the tutorial recipe in ~0.55x the time, to the same accuracy within seed-to-seed spread
(bench/README.md). `float32`: the tutorial's arithmetic everywhere (float32 throughout, summed
in the order of TensorFlow's oneDNN kernels on x86: see `mnist_core/__init__.py`)."""


def dtype_for(precision, cpuinfo="/proc/cpuinfo"):
    """The Keras dtype policy that `precision` (one of `PRECISIONS`) means on this machine.

    Raises:
        MnistError: `precision` is not one of `PRECISIONS`.
    """
    if precision == "float32":
        return "float32"
    if precision == "auto":
        return fast_dtype(cpuinfo)
    raise MnistError(f"Precision must be one of {', '.join(PRECISIONS)}, not {precision!r}.")


def _build_quick(steps_per_epoch, epochs, dtype="float32"):
    import keras

    model = tutorial.build_tutorial_model(dtype=dtype)
    model.compile(optimizer=keras.optimizers.Adam(_warmup_cosine(QUICK_PEAK_RATE,
                                                                  steps_per_epoch * epochs)),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=QUICK_SMOOTHING),
                  metrics=["accuracy"], steps_per_execution=steps_per_execution(steps_per_epoch))
    fuse_adam_updates(model.optimizer)
    return model


QUICK_PEAK_RATE = 7e-3
QUICK_SMOOTHING = 0.1
"""Issue 24: one epoch at a 7e-3 peak with labels smoothed by 0.1 reaches 99.09-99.20 % (seeds
1, 2, 3, 4, 5 and 1234, the page's, in bfloat16; 99.11-99.16 % in float32), where the same epoch
without smoothing stopped at 98.84-98.91 % and the 2 epochs at 4e-3 this replaces cost twice
the time (bench/README.md)."""

QUICK = Recipe(
    name="quick",
    summary="the tutorial's CNN, 1 epoch of batch 128, warm-up/cosine rate, smoothed labels: "
            "about 99% in 20 seconds.",
    epochs=1,
    batch_size=128,
    build=_build_quick,
)


def conv_block(filters, dtype):
    """Two 3x3 convolutions with batch norm, then 2x2 pooling and a little dropout: the strong
    recipe's building block (the "not a digit" gate's too)."""
    from keras import layers

    fast = {"dtype": dtype}
    return [layers.Conv2D(filters, 3, padding="same", use_bias=False, **fast),
            layers.BatchNormalization(**fast), layers.ReLU(**fast),
            layers.Conv2D(filters, 3, use_bias=False, **fast),
            layers.BatchNormalization(**fast), layers.ReLU(**fast),
            layers.MaxPooling2D(2, **fast), layers.Dropout(0.1, **fast)]


def _build_strong(steps_per_epoch, epochs, dtype="float32"):
    import keras
    from keras import layers

    fast = {"dtype": dtype}
    model = keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        *conv_block(32, dtype), *conv_block(64, dtype),
        layers.Flatten(**fast),
        layers.Dense(256, use_bias=False, **fast), layers.BatchNormalization(**fast),
        layers.ReLU(**fast), layers.Dropout(0.4, **fast),
        layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32"),
    ], name="strong_cnn")
    model.compile(optimizer=keras.optimizers.Adam(_warmup_cosine(3e-3, steps_per_epoch * epochs)),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05),
                  metrics=["accuracy"], steps_per_execution=steps_per_execution(steps_per_epoch))
    fuse_adam_updates(model.optimizer)
    return model


STRONG_SYNTHETIC_SHARE = 0.15
"""Share of the strong recipe's epoch that is stroked digits of every form, European ones
included (a 1 with a long flag, a 7 with a crossbar, ...), which MNIST rarely shows."""


def _strong_augmenter(seed):
    """Shifts, small rotations, zoom and stroke thickness: the ways visitors' drawings differ."""
    import tensorflow as tf
    from keras import layers

    geometry = [layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed),
                layers.RandomRotation(0.035, fill_mode="constant", seed=seed + 1),
                layers.RandomZoom(0.12, fill_mode="constant", seed=seed + 2)]

    def augment(images):
        for layer in geometry:
            images = layer(images, training=True)
        # Stroke thickness: a quarter of the images thicker (3x3 max filter), a sixth thinner
        # (min filter), blended so the result stays anti-aliased.
        thick = tf.nn.max_pool2d(images, 3, 1, "SAME")
        thin = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
        choice = tf.random.uniform([tf.shape(images)[0], 1, 1, 1], seed=seed + 3)
        images = tf.where(choice < 0.25, 0.5 * (images + thick), images)
        images = tf.where(choice > 5 / 6, 0.5 * (images + thin), images)
        return tf.clip_by_value(images, 0.0, 1.0)

    return augment


STRONG = Recipe(
    name="strong",
    summary="deeper CNN, batch norm, dropout, augmentation, cosine rate, 20 epochs: best on "
            "drawings, slow.",
    epochs=20,
    batch_size=128,
    build=_build_strong,
    augmenter=_strong_augmenter,
    synthetic_share=STRONG_SYNTHETIC_SHARE,
)

RECIPES = {recipe.name: recipe for recipe in (TUTORIAL, QUICK, STRONG)}


def get_recipe(name):
    """Returns the recipe called `name`.

    Raises:
        ValueError: no recipe has that name; the message lists the known ones.
    """
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"Unknown recipe {name!r}: choose one of {', '.join(RECIPES)}.") from None
