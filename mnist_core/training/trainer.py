"""Training with a named recipe: the one path the app, the command line and the tests all use."""

import dataclasses
import datetime
import platform
import threading
import time

import mnist_core.training.model as tutorial
from mnist_core.constants import DEFAULT_RECIPE, DEFAULT_SEED, NUM_TRAIN
from mnist_core.errors import MnistError, TrainingCancelled
from mnist_core.training.batches import (in_order_batches, no_autotune, prepared_mnist,
                                         shuffled_batches)
from mnist_core.training.recipes import dtype_for, get_recipe
from mnist_core.training.synthetic_share import with_synthetic_share

VALIDATION_BATCH_SIZE = 500
"""Images per batch when validating: larger than training's 64 because no gradient is kept,
which makes the per-epoch pass over the 10,000 test images cheaper; the numbers are the same."""


@dataclasses.dataclass
class TrainingResult:
    """What a finished training gives back.

    Attributes:
        model: the trained Keras model.
        history: per-epoch lists of `loss`, `accuracy`, `val_loss`, `val_accuracy`
            (`keras.callbacks.History.history`).
        test_accuracy: accuracy on the 10,000 test images, in [0, 1].
        test_loss: categorical cross-entropy on the test images.
        metadata: the dict storage writes beside the model (see `make_metadata`), with the
            facts `mix` returned (`jobs.train_and_score` adds the drawn-set score).
    """

    model: object
    history: dict
    test_accuracy: float
    test_loss: float
    metadata: dict


def check_settings(epochs, batch_size, limit):
    """Raises MnistError with one sentence for a setting a user got wrong; returns None otherwise."""
    if not isinstance(epochs, int) or not 1 <= epochs <= 1000:
        raise MnistError(f"Epochs must be a whole number from 1 to 1000, not {epochs!r}.")
    if not isinstance(batch_size, int) or not 1 <= batch_size <= 60_000:
        raise MnistError(f"Batch size must be a whole number from 1 to 60000, not {batch_size!r}.")
    if limit is not None and (not isinstance(limit, int) or not 1 <= limit <= NUM_TRAIN):
        raise MnistError(f"The number of training images must be from 1 to {NUM_TRAIN}, "
                         f"not {limit!r}.")


def train(recipe=DEFAULT_RECIPE, *, data, epochs=None, batch_size=None, limit=None,
          seed=DEFAULT_SEED, precision="auto", callbacks=(), cancel_event=None, verbose=0,
          mix=None, test_set=None, ready=None):
    """Trains a model with a named recipe, validating on the test set as the tutorial does.

    Args:
        recipe: name of the recipe (`tutorial` by default).
        data: `((x_train, y_train), (x_test, y_test))` uint8, as `mnist_core.data.mnist.load_data()`
            returns it.
        epochs: epochs to run; the recipe's default when None.
        batch_size: images per batch; the recipe's default when None.
        limit: train on the first `limit` training images only (None: all 60,000).
        seed: applied with `keras.utils.set_random_seed`; the same seed on the same machine
            gives the same weights.
        precision: `auto` (bfloat16 arithmetic with float32 weights where the CPU computes
            bfloat16 natively, else float32) or `float32` (the tutorial's arithmetic); see
            `mnist_core.training.recipes.PRECISIONS`. The network, optimiser, batch size and epochs
            are the same either way.
        callbacks: extra Keras callbacks (for instance `ProgressCallback` for live charts).
        cancel_event: a `threading.Event`; once set, training stops after the current batch.
        verbose: Keras' `fit` verbosity (1 shows its progress bar).
        mix: None, or a function `(x, y) -> (x, y, facts)` given the arrays the recipe trains
            on (uint8 images, int labels) that returns them with more images added and a dict
            of facts for the metadata (visitors' drawings: `drawings.mix_into`). Training
            knows nothing of where they come from; `jobs.train_and_score` composes them.
        test_set: None, or `data`'s test split already prepared as the network takes it,
            `(X_test, Y_test)` (`model.prepare_images`, `model.prepare_labels`), as a training
            process kept ready holds it (`jobs.spare_worker`). The training images need no
            such copy: they are prepared batch by batch (`batches.prepared_mnist`).
        ready: None, or a `ready_models.ReadyModels` whose model of this recipe, traced
            beforehand, trains in place of the one built here when it is the same network
            compiled the same way (with this one's weights: the same training, number for number).

    Returns:
        A `TrainingResult`.

    Raises:
        MnistError: a setting is out of range, or the precision unknown.
        TrainingCancelled: `cancel_event` was set before training finished.
    """
    import keras

    from mnist_core.training.callbacks import EpochProgbar, StopOnEvent

    chosen = get_recipe(recipe)
    epochs = chosen.epochs if epochs is None else epochs
    batch_size = chosen.batch_size if batch_size is None else batch_size
    check_settings(epochs, batch_size, limit)
    dtype = dtype_for(precision)  # raises MnistError for an unknown precision
    (x_train, y_train), (x_test, y_test) = data
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    mnist_images = len(x_train)
    x_train, y_train, synthetic = training_arrays(chosen, x_train, y_train, seed)
    x_train, y_train, mixed = (x_train, y_train, {}) if mix is None else mix(x_train, y_train)
    X_test, Y_test = test_set if test_set is not None else tutorial.prepare_split(x_test, y_test)

    keras.utils.set_random_seed(seed)
    steps_per_epoch = -(-len(x_train) // batch_size)
    net = chosen.build(steps_per_epoch, epochs, dtype)
    if ready is not None:
        net = ready.take(chosen.name, net)
    cancel_event = cancel_event or threading.Event()
    all_callbacks = [*callbacks, StopOnEvent(cancel_event), *([EpochProgbar()] if verbose else [])]

    # Batched here too: Keras' own pipeline for arrays autotunes, and its end waited as well.
    validation = in_order_batches(X_test, Y_test, VALIDATION_BATCH_SIZE)
    started = time.perf_counter()
    if chosen.augmenter is None:
        # Batched here rather than by `fit`, whose pipeline kept `fit` from returning for
        # up to 9 s after the last batch (`batches`), and prepared batch by batch; the same
        # numbers, the same maths.
        history = net.fit(shuffled_batches(x_train, y_train, batch_size, seed, prepared_mnist),
                          epochs=epochs,
                          shuffle=False,  # the batches are shuffled already
                          validation_data=validation, callbacks=all_callbacks,
                          verbose=verbose)
    else:
        X_train, Y_train = tutorial.prepare_split(x_train, y_train)
        history = net.fit(_augmented(X_train, Y_train, batch_size, seed, chosen.augmenter(seed)),
                          epochs=epochs, validation_data=validation, shuffle=False,
                          callbacks=all_callbacks, verbose=verbose)  # the pipeline shuffles
    seconds = time.perf_counter() - started + synthetic["synthetic_seconds"]
    if cancel_event.is_set():
        raise TrainingCancelled("Training was cancelled; nothing was saved.")

    # The last epoch validated these very weights on the test set: evaluating again would
    # spend a second computing the same two numbers.
    test_loss, test_accuracy = history.history["val_loss"][-1], history.history["val_accuracy"][-1]
    metadata = make_metadata(chosen.name, epochs, batch_size, mnist_images, seed,
                             test_accuracy, test_loss, seconds, history.history, dtype,
                             **synthetic)
    metadata.update(mixed)
    return TrainingResult(net, history.history, float(test_accuracy), float(test_loss), metadata)


def training_arrays(recipe, x_train, y_train, seed):
    """The arrays a recipe trains on: MNIST's, plus its share of stroked digits if it has one.

    Args:
        recipe: a `Recipe`.
        x_train: uint8 (N, 28, 28) in [0, 255]; y_train: int labels (N,).
        seed: the training seed.

    Returns:
        `(x, y, info)`: for a recipe without a synthetic share (the tutorial's) the very arrays
        given; `info` is `{"synthetic_images": count, "synthetic_seconds": time to draw them}`.
    """
    return with_synthetic_share(x_train, y_train, recipe.synthetic_share, seed)


def _augmented(images, labels, batch_size, seed, augment):
    """A shuffled, batched tf.data pipeline that augments each training batch on the fly."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(lambda x, y: (augment(x), y),
                                            num_parallel_calls=tf.data.AUTOTUNE)
    return no_autotune(dataset.prefetch(tf.data.AUTOTUNE))


def make_metadata(recipe, epochs, batch_size, train_images, seed, test_accuracy, test_loss,
                  seconds, history, dtype="float32", synthetic_images=0, synthetic_seconds=0.0):
    """The facts stored beside a model, so it can be loaded and described with no flags.

    `train_images` counts MNIST images; `synthetic_images` the stroked digits added to them
    (`synthetic_share`), drawn in `synthetic_seconds`, which `seconds` includes."""
    import keras
    import tensorflow as tf

    return {
        "recipe": recipe,
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "train_images": int(train_images),
        **({"synthetic_images": int(synthetic_images),
            "synthetic_seconds": round(float(synthetic_seconds), 1)} if synthetic_images else {}),
        "seed": int(seed),
        "dtype_policy": dtype,
        "test_accuracy": round(float(test_accuracy), 6),
        "test_loss": round(float(test_loss), 6),
        "training_seconds": round(float(seconds), 1),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "keras_version": keras.__version__,
        "tensorflow_version": tf.__version__,
        "machine": f"{platform.machine()}, {_cpu_count()} CPU cores",
        "input": "float32 (N, 28, 28, 1) = uint8 grey level / 255, white digit on black",
        "history": {key: [round(float(v), 6) for v in values] for key, values in history.items()},
    }


def _cpu_count():
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


__all__ = ["train", "TrainingResult", "make_metadata", "check_settings"]
