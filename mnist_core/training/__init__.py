"""training: the tutorial's network and the named ways to train it.

The tutorial's data preparation and Sequential CNN (`model`), the recipes (`recipes`: the
tutorial's, `quick`, `strong`; precision `auto` or `float32`), the share of stroked digits a
recipe mixes into MNIST (`synthetic_share`), the Keras callbacks through which a caller watches
and stops a training (`callbacks`), and `train()` itself (`trainer`), the one path the command
line, the server's training process and the tests use. It knows nothing of visitors' drawings
or of how a model is scored beyond its test accuracy: its callers compose those. Depends on the
foundation and `data`.
"""

from mnist_core.training.model import (build_tutorial_model, compile_tutorial, prepare,
                                       prepare_images, prepare_labels)
from mnist_core.training.recipes import PRECISIONS, RECIPES, Recipe, dtype_for, get_recipe
from mnist_core.training.synthetic_share import synthetic_count, with_synthetic_share
from mnist_core.training.trainer import (TrainingResult, check_settings, make_metadata, train,
                                         training_arrays)

__all__ = [
    "PRECISIONS", "RECIPES", "ProgressCallback", "Recipe", "StopOnEvent", "TrainingResult",
    "build_tutorial_model", "check_settings", "compile_tutorial", "dtype_for", "get_recipe",
    "make_metadata", "prepare", "prepare_images", "prepare_labels", "synthetic_count", "train",
    "training_arrays", "with_synthetic_share",
]


def __getattr__(name):
    # The callbacks subclass Keras' own, and importing Keras takes seconds that
    # `python -m mnist_core --help` and the page's first answer should not wait for.
    if name in ("ProgressCallback", "StopOnEvent"):
        from mnist_core.training import callbacks

        return getattr(callbacks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
