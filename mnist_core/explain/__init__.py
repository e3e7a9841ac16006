"""explain: what the network sees, for the page's "Inside the network" and `explain` command.

Every layer's output for one image and a saliency map (integrated gradients), in one call
(`explainer.Explainer`); the preprocessing steps as pictures (`stages`); and the pictures and
figures made of them: feature maps and filters tiled, dense layers as bars, saliency overlays
(`pictures`). Walks `model.layers` and names none, so any MNIST model is explained. Depends on
the foundation and `reading`.
"""

import importlib

from mnist_core.explain.explainer import Explainer, Explanation, LayerInfo
from mnist_core.explain.stages import Stages, preprocessing_stages

__all__ = [
    "Explainer", "Explanation", "LayerInfo", "Stages", "bars_picture", "filter_grid",
    "filters_figure", "layers_figure", "overlay", "preprocess_figure", "preprocessing_stages",
    "saliency_figure", "tile_grid",
]

_PICTURES = {"bars_picture", "filter_grid", "filters_figure", "layers_figure", "overlay",
             "preprocess_figure", "saliency_figure", "tile_grid"}


def __getattr__(name):
    # The pictures import matplotlib (~0.3 s), which the Draw view needs only once the visitor
    # opens "Inside the network".
    if name in _PICTURES:
        return getattr(importlib.import_module(f"{__name__}.pictures"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
