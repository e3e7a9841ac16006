"""evaluation: how well a model reads, measured and shown.

Where a model goes wrong on the 10,000 test images (`test_report`: confusion matrix, per-digit
accuracy, the images it misreads, two models compared), those reports kept on disk beside their
models (`report_store`), its accuracy on the project's drawn digits (`drawn_score`), the
tutorial's figures (`plots`: learning curves, the prediction of `X_test[0]`) and many digits as
one labelled picture (`image_grid`). Depends on the foundation, `reading`, `data` and
`training` (the tutorial's input preparation).
"""

import importlib

from mnist_core.evaluation.drawn_score import drawn_accuracy, prepared_drawn_set, share_read_right
from mnist_core.evaluation.report_store import load_report, save_report
from mnist_core.evaluation.test_report import (Comparison, Report, compare, confusion_matrix,
                                               confusion_table, make_report, per_digit_accuracy,
                                               report_of)

__all__ = [
    "Comparison", "FigureTexts", "Report", "compare", "confusion_matrix", "confusion_table",
    "drawn_accuracy", "figure_words", "learning_curves", "load_report", "make_report",
    "per_digit_accuracy", "prediction_figure", "prepared_drawn_set", "report_of", "save_png",
    "save_report", "share_read_right",
]
# `image_grid` (the function) is not named here: it would shadow its module of the same name.

_FIGURES = {"learning_curves": "plots", "prediction_figure": "plots", "save_png": "plots",
            "FigureTexts": "plots", "figure_words": "plots"}


def __getattr__(name):
    # The figures import matplotlib (~0.3 s), which the command line's --help, a training's
    # start and a check of a report need not wait for.
    if name in _FIGURES:
        return getattr(importlib.import_module(f"{__name__}.{_FIGURES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
