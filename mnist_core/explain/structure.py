"""What any model tells of itself once loaded: its layers, parameters and input shape.

An uploaded file carries no metadata beside it (no recipe, no accuracy), but its structure is
known the moment it is rebuilt; the sidebar says that rather than a row of "unknown".
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Structure:
    """A model's shape, as a person reads it.

    Attributes:
        layers: its top-level layers (the tutorial's CNN: 7).
        parameters: its weights' total count, trainable or not (the tutorial's: 225,034).
        input_shape: one input's shape, batch left out: (28, 28, 1) for this app's models.
    """

    layers: int
    parameters: int
    input_shape: tuple


def structure_of(model):
    """The `Structure` of a built Keras model."""
    shape = model.input_shape
    return Structure(len(model.layers), int(model.count_params()),
                     tuple(int(d) for d in shape[1:]))
