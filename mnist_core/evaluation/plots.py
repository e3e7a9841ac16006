"""The tutorial's figures, as matplotlib `Figure`s: the app shows them, the command line saves PNGs.

`matplotlib.figure.Figure` is used directly rather than `pyplot`, so no global state is shared
between the app's sessions and no display is needed.
"""

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mnist_core.atomic_files import replaced_atomically

ACCURACY_TITLE = "Training and validation accuracy"
LOSS_TITLE = "Training and validation loss"
PREDICTION_TITLE = "Prédiction du chiffre affiché : {digit}"
DPI = 100


def _curve(train, validation, title, train_label, validation_label):
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.subplots()
    epochs = range(1, len(train) + 1)
    axes.plot(epochs, train, "bo", label=train_label)
    if validation:
        axes.plot(range(1, len(validation) + 1), validation, "b", label=validation_label)
    axes.set_title(title)
    axes.set_xlabel("Epochs")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend()
    return figure


def learning_curves(history):
    """The tutorial's two figures: accuracy and loss, training ('bo' dots) vs validation ('b' line).

    Args:
        history: a dict like `keras.callbacks.History.history`, with per-epoch lists `accuracy`,
            `loss` and optionally `val_accuracy`, `val_loss`.

    Returns:
        `(accuracy_figure, loss_figure)`, two `matplotlib.figure.Figure`s.
    """
    accuracy = _curve(history.get("accuracy", []), history.get("val_accuracy", []),
                      ACCURACY_TITLE, "Training accuracy", "Validation accuracy")
    loss = _curve(history.get("loss", []), history.get("val_loss", []),
                  LOSS_TITLE, "Training loss", "Validation loss")
    return accuracy, loss


def prediction_figure(image, digit):
    """The tutorial's last figure: an image in grey levels, titled with the predicted digit.

    Args:
        image: array (28, 28) or (28, 28, 1), any numeric range (shown as grey levels).
        digit: the predicted class, 0..9.

    Returns:
        A `matplotlib.figure.Figure`.
    """
    figure = Figure(figsize=(4, 4.3), layout="constrained")
    axes = figure.subplots()
    axes.imshow(image.reshape(image.shape[0], image.shape[1]), cmap="gray")
    axes.set_title(PREDICTION_TITLE.format(digit=digit))
    axes.axis("off")
    return figure


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
