"""Named training recipes: the tutorial's (the default), and others that later issues add.

A recipe is everything that decides the trained weights apart from the data and the seed:
network, optimiser, loss, epochs, batch size and any augmentation.
"""

import dataclasses
from typing import Callable, Optional

from mnist_core import model as tutorial
from mnist_core.constants import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS

STEPS_PER_EXECUTION = 16
"""Batches per compiled TensorFlow call. The maths is unchanged (same batches, same updates, same
weights for a given seed); fewer round trips through Python make an epoch faster, and callbacks
still hear from training several times a second."""


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A named way to train.

    Attributes:
        name: the name users type (`train --recipe NAME`).
        summary: one line shown in help texts and the app.
        epochs: default number of epochs.
        batch_size: default batch size.
        build: `build(steps_per_epoch, epochs)` returns a compiled Keras model taking
            (N, 28, 28, 1) float32 in [0, 1] and returning (N, 10) probabilities.
        augment: optional `augment(images, seed)` applied to each training batch inside a
            `tf.data` pipeline (images float32 (B, 28, 28, 1)); None trains on the arrays as is.
    """

    name: str
    summary: str
    epochs: int
    batch_size: int
    build: Callable
    augment: Optional[Callable] = None


def _build_tutorial(steps_per_epoch, epochs):
    return tutorial.compile_tutorial(tutorial.build_tutorial_model(), STEPS_PER_EXECUTION)


TUTORIAL = Recipe(
    name="tutorial",
    summary="The tutorial's CNN: Adam, categorical cross-entropy, 10 epochs, batch 64.",
    epochs=DEFAULT_EPOCHS,
    batch_size=DEFAULT_BATCH_SIZE,
    build=_build_tutorial,
)

RECIPES = {recipe.name: recipe for recipe in (TUTORIAL,)}


def get_recipe(name):
    """Returns the recipe called `name`.

    Raises:
        ValueError: no recipe has that name; the message lists the known ones.
    """
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"Unknown recipe {name!r}: choose one of {', '.join(RECIPES)}.") from None
