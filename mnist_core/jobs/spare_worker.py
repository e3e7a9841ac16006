"""A training process started before its job: `python -m mnist_core.jobs.spare_worker`, kept
ready by `jobs.spare`.

A fresh worker (`worker`) spends its first seconds after Train importing TensorFlow and Keras,
loading MNIST, preparing its 60,000 images and tracing its first training step (~15-25 s on 2
busy cores). This process pays all of that before any visitor asks, at the training's lower
priority: it imports, loads and prepares the data, trains a throwaway model of each recipe on two
batches (so TensorFlow's one-time setup of a first trace is done), says `ready` and waits. Its one
job then arrives as a line, `job JSON` (the worker's settings), and it runs that training exactly
as `worker` does (the models folder's lock taken from then to its exit, the same events) and
exits. One job per process: a training never shares a process, its memory or Keras' state with
another visitor's, and `jobs.spare` starts the next spare once it has ended.

Protocol: as `worker`'s, plus the events `warming` (the step it is on) and `ready`, and the
`job` command. The parent going away ends it at any moment, warming included (end of its
input, and `PR_SET_PDEATHSIG`).
"""

import json
import logging
import os
import sys
import threading

from mnist_core.jobs.worker import child_arguments, load_function, run_job, start_listening

LOG = logging.getLogger(__name__)


def warm(load_data, recipes, events):
    """Imports what training needs, loads the data, prepares its test split, and builds and
    traces each recipe's model for the page's first choice of settings (`ReadyModels`).

    Returns:
        `{"data": ..., "test_set": ..., "ready": ...}` for `worker.run_job`; empty if the data
        could not be loaded (the job then loads it itself and says why it failed, as a fresh
        worker does).
    """
    events.send("warming", "importing")
    import keras

    # What the job imports, paid now.
    import mnist_core.evaluation.report_store  # noqa: F401
    import mnist_core.evaluation.test_report  # noqa: F401
    import mnist_core.jobs.batch_curve  # noqa: F401
    import mnist_core.jobs.epoch_snapshot  # noqa: F401
    import mnist_core.jobs.scored_training  # noqa: F401
    import mnist_core.reading.inference  # noqa: F401
    import mnist_core.storage  # noqa: F401
    import mnist_core.training.callbacks  # noqa: F401
    import mnist_core.training.model as tutorial
    from mnist_core.training.batches import in_order_batches, prepared_mnist, shuffled_batches
    from mnist_core.training.ready_models import WARM_BATCHES, ReadyModels
    from mnist_core.training.recipes import dtype_for, get_recipe

    events.send("warming", "data")
    try:
        data = load_data()
    except Exception:  # noqa: BLE001 - the job tries again and reports it
        LOG.warning("The spare training process could not load MNIST", exc_info=True)
        return {}
    (x_train, y_train), (x_test, y_test) = data
    test_set = tutorial.prepare_split(x_test, y_test)
    events.send("warming", "tracing")
    ready = ReadyModels()
    for name in recipes:
        recipe = get_recipe(name)
        if recipe.augmenter is not None:  # its pipeline is traced by its own fit only
            continue
        batch = min(recipe.batch_size, len(x_train))
        images = min(len(x_train), batch * WARM_BATCHES)
        # Built for the page's first choice of this recipe: all the images, its own epochs.
        ready.prepare(recipe, -(-len(x_train) // batch), recipe.epochs, dtype_for("auto"),
                      shuffled_batches(x_train[:images], y_train[:images], batch, 0,
                                       prepared_mnist),
                      in_order_batches(test_set[0][:batch], test_set[1][:batch], batch))
    # The job's model is built in a fresh Keras state: the same layer names and seeded weights
    # as in a fresh worker.
    keras.utils.clear_session()
    return {"data": data, "test_set": test_set, "ready": ready}


def main(argv=None):
    """Warms up, says `ready`, runs the one job it is given; returns the exit status."""
    args = child_arguments("python -m mnist_core.jobs.spare_worker", argv, ("--recipes", {
        "default": "", "help": "recipes to trace beforehand, comma-separated"}))
    job = Job()
    events, stop, drawing = start_listening(args.parent, job)
    if args.nice:
        os.nice(args.nice)  # warming is background work: the server answers strokes first
    load_data = load_function(args.load_data)
    ready = warm(load_data, [name for name in args.recipes.split(",") if name], events)
    events.send("ready")
    settings = job.wait()
    if settings is None:
        events.send("failed", "The training process was given no usable job; try again.")
        return 0
    return run_job(args.models, settings, load_data, events, stop, drawing, **ready)


class Job:
    """The one `job` command's settings, handed from the command thread to the main one."""

    def __init__(self):
        self._given = threading.Event()
        self._settings = None

    def __call__(self, argument):
        if self._given.is_set():
            return  # one job per process
        try:
            settings = json.loads(argument)
        except ValueError:
            settings = None
        self._settings = settings if isinstance(settings, dict) else None
        self._given.set()

    def wait(self):
        self._given.wait()
        return self._settings


if __name__ == "__main__":
    from mnist_core.lean_process import freeze_before_exit, leave_out_pandas

    leave_out_pandas()  # before Keras is imported: ~0.4 s and ~64 MB less
    sys.exit(freeze_before_exit(main()))
