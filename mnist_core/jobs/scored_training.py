"""A training as the server and the command line run it: visitors' drawings mixed in when
asked, and the model scored the way the page ranks models.

`training.train` knows nothing of visitors' drawings or of the drawn set; this is where they
meet it. Both the `train` command and the server's training process call `train_and_score`.
"""

import functools

from mnist_core.data.mnist import is_official_test_set
from mnist_core.drawings.training_mix import heldout_facts, mix_into
from mnist_core.evaluation.drawn_score import drawn_accuracy
from mnist_core.training.trainer import train


def train_and_score(recipe, *, data, drawings=None, **options):
    """`training.train`, then the facts the page ranks and describes a model by.

    Args:
        recipe: the recipe's name.
        data: `((x_train, y_train), (x_test, y_test))`, as `data.load_data()` returns it.
        drawings: visitors' recorded drawings to mix in, a `drawings.DrawingsExtra`, or None.
        **options: `train`'s own (epochs, batch_size, limit, seed, precision, callbacks,
            cancel_event, verbose).

    Returns:
        `train`'s `TrainingResult`, its metadata with `drawn_accuracy` (the drawn set re-draws
        MNIST's own test digits, so only when `data` holds MNIST's test split) and, with
        drawings, `drawings_trained`, `drawings_weight`, `drawings_accuracy` and
        `drawings_heldout` (the held-out share, never trained on).

    Raises:
        MnistError, TrainingCancelled: as `train`.
    """
    mix = None if drawings is None else functools.partial(mix_into, extra=drawings)
    result = train(recipe, data=data, mix=mix, **options)
    (_, _), (x_test, y_test) = data
    if is_official_test_set(x_test, y_test):
        result.metadata["drawn_accuracy"] = round(drawn_accuracy(result.model, x_test, y_test), 4)
    result.metadata.update(heldout_facts(result.model, drawings))
    return result
