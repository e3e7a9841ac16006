"""The tutorial's figures, as matplotlib `Figure`s: the app shows them, the command line saves PNGs.

`matplotlib.figure.Figure` is used directly rather than `pyplot`, so no global state is shared
between the app's sessions and no display is needed. Their words are a `FigureTexts`: the
tutorial's own by default (the command line draws exactly the tutorial's figures), the page's
language when the app draws them.
"""

import dataclasses

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from mnist_core.atomic_files import replaced_atomically

DPI = 100


@dataclasses.dataclass(frozen=True)
class FigureTexts:
    """Every word the tutorial's figures draw; the defaults are the tutorial's own.

    Attributes:
        accuracy_title, loss_title: the two learning curves' titles.
        epochs: their x axis label.
        train_accuracy, validation_accuracy, train_loss, validation_loss: their legends.
        prediction_title: the prediction figure's title, with a `{digit}` field.
        decimal_comma: write the axes' numbers with a decimal comma (0,95), as French does.
    """

    accuracy_title: str = "Training and validation accuracy"
    loss_title: str = "Training and validation loss"
    epochs: str = "Epochs"
    train_accuracy: str = "Training accuracy"
    validation_accuracy: str = "Validation accuracy"
    train_loss: str = "Training loss"
    validation_loss: str = "Validation loss"
    prediction_title: str = "Prédiction du chiffre affiché : {digit}"
    decimal_comma: bool = False


TUTORIAL = FigureTexts()
"""The tutorial's words: its curves' English labels and its prediction's French title."""


class _CommaFormatter(ScalarFormatter):
    """matplotlib's usual tick labels, with a decimal comma (0,95 rather than 0.95)."""

    def __call__(self, x, pos=None):
        return super().__call__(x, pos).replace(".", ",")

    def get_offset(self):
        return super().get_offset().replace(".", ",")


def _curve(train, validation, title, train_label, validation_label, texts):
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.subplots()
    epochs = range(1, len(train) + 1)
    axes.plot(epochs, train, "bo", label=train_label)
    if validation:
        axes.plot(range(1, len(validation) + 1), validation, "b", label=validation_label)
    axes.set_title(title)
    axes.set_xlabel(texts.epochs)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if texts.decimal_comma:
        axes.yaxis.set_major_formatter(_CommaFormatter())
    axes.legend()
    return figure


def learning_curves(history, texts=TUTORIAL):
    """The tutorial's two figures: accuracy and loss, training ('bo' dots) vs validation ('b' line).

    Args:
        history: a dict like `keras.callbacks.History.history`, with per-epoch lists `accuracy`,
            `loss` and optionally `val_accuracy`, `val_loss`.
        texts: the figures' words (`FigureTexts`); the tutorial's by default.

    Returns:
        `(accuracy_figure, loss_figure)`, two `matplotlib.figure.Figure`s.
    """
    accuracy = _curve(history.get("accuracy", []), history.get("val_accuracy", []),
                      texts.accuracy_title, texts.train_accuracy, texts.validation_accuracy, texts)
    loss = _curve(history.get("loss", []), history.get("val_loss", []),
                  texts.loss_title, texts.train_loss, texts.validation_loss, texts)
    return accuracy, loss


def prediction_figure(image, digit, texts=TUTORIAL):
    """The tutorial's last figure: an image in grey levels, titled with the predicted digit.

    Args:
        image: array (28, 28) or (28, 28, 1), any numeric range (shown as grey levels).
        digit: the predicted class, 0..9.
        texts: the figure's words (`FigureTexts`); the tutorial's French title by default.

    Returns:
        A `matplotlib.figure.Figure`.
    """
    figure = Figure(figsize=(4, 4.3), layout="constrained")
    axes = figure.subplots()
    axes.imshow(image.reshape(image.shape[0], image.shape[1]), cmap="gray")
    axes.set_title(texts.prediction_title.format(digit=digit))
    axes.axis("off")
    return figure


def figure_words(figure):
    """The words a figure draws (titles, axis labels, legends), in order, as one line: what an
    image of it says to a screen reader (its alt text), and what a test can read back.

    Args:
        figure: a `matplotlib.figure.Figure`.

    Returns:
        str, the non-empty texts joined by " · ".
    """
    words = []
    for axes in figure.axes:
        words += [axes.get_title(), axes.get_xlabel(), axes.get_ylabel()]
        legend = axes.get_legend()
        words += [t.get_text() for t in legend.get_texts()] if legend is not None else []
    return " · ".join(word for word in words if word)


def save_png(figure, path):
    """Writes `figure` to `path` as PNG (headless; no display needed), atomically.

    The image goes to a temporary file in the same folder, then replaces `path` in one rename:
    a reader never sees half a PNG, a failure leaves the old file as it was, and a symlink at
    `path` is replaced itself, so the file it pointed to is never written.

    Args:
        figure: a `matplotlib.figure.Figure`.
        path: where to write (str or `Path`); its folder must exist.

    Returns:
        `path`, as given.

    Raises:
        OSError: the folder is missing or not writable (nothing is left behind).
    """
    with replaced_atomically(path) as temporary, open(temporary, "wb") as f:
        figure.savefig(f, format="png", dpi=DPI)
    return path
