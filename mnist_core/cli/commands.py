"""The command line, `python -m mnist_core`: a thin shell over the library, one function per command.

`data`, `tutorial`, `train` and `evaluate`, which share the data and training options, are here;
`models`, `predict`, `drawings`, `explain` and `reports` register from their own `cli_*` modules.
"""

import argparse
import sys
from pathlib import Path

from mnist_core.cli.options import data_option, new_run_folder
from mnist_core.constants import DEFAULT_SEED
from mnist_core.errors import MnistError

TUTORIAL_MODEL_NAME = "mnist_model"
MAX_SEED = 2**32 - 1
"""Largest seed `keras.utils.set_random_seed` accepts (NumPy's legacy seeding is 32-bit)."""


def _progress_printer(stream=sys.stderr):
    """A `progress(message, fraction)` that redraws one line per download on a terminal."""
    state = {"message": None, "open": False}

    def progress(message, fraction):
        if fraction >= 0:
            stream.write(f"\r{message}: {fraction:6.1%}")
            state["open"] = fraction < 1
            if not state["open"]:
                stream.write("\n")
        elif message != state["message"]:
            stream.write(("\n" if state["open"] else "") + message + " ...\n")
            state["open"] = False
        state["message"] = message
        stream.flush()

    return progress


def _load(args):
    from mnist_core.data.mnist import load_data

    return load_data(path=args.data, progress=_progress_printer())


def _checked_out(args, kind):
    """The output folder, created and checked writable with room *before* any training."""
    from mnist_core.models_folder import check_room

    out = Path(args.out or new_run_folder(kind))
    check_room(out, what=f"The output folder {out}", deployer=False)
    return out


def _train(args, recipe, data, verbose=1):
    from mnist_core.cli.drawings import extra_of
    from mnist_core.jobs.scored_training import train_and_score

    return train_and_score(recipe, data=data, drawings=extra_of(args), epochs=args.epochs,
                           batch_size=args.batch_size, limit=args.limit, seed=args.seed,
                           precision=args.precision, verbose=verbose)


def cmd_data(args):
    """Fetches, verifies and caches MNIST."""
    from mnist_core.data.mnist import clear_cache, default_cache_dir

    if args.refresh:
        clear_cache()
    (x_train, _), (x_test, _) = _load(args)
    print(f"MNIST ready: {len(x_train)} training and {len(x_test)} test images, verified "
          f"(cache: {default_cache_dir()}).")


def cmd_tutorial(args):
    """Runs the tutorial end to end and writes its model, metadata and three figures."""
    from mnist_core import storage
    from mnist_core.evaluation import plots
    from mnist_core.reading.inference import Predictor
    from mnist_core.training.model import prepare_images, prepare_labels

    out = _checked_out(args, "tutorial")
    data = _load(args)
    result = _train(args, "tutorial", data)
    written = storage.save_model(result.model, out / f"{TUTORIAL_MODEL_NAME}.keras",
                                 result.metadata, h5=True)
    (_, _), (x_test, y_test) = data
    X_test, Y_test = prepare_images(x_test), prepare_labels(y_test)
    test_loss, test_accuracy = result.model.evaluate(X_test, Y_test, verbose=0)
    print(f"Test accuracy: {test_accuracy}")
    accuracy_figure, loss_figure = plots.learning_curves(result.history)
    written.append(plots.save_png(accuracy_figure, out / "accuracy.png"))
    written.append(plots.save_png(loss_figure, out / "loss.png"))
    image = X_test[0]
    digit = Predictor(result.model).predict_prepared(image).digit
    written.append(plots.save_png(plots.prediction_figure(image, digit), out / "prediction.png"))
    print(f"Le chiffre prédit est : {digit}")
    print("Wrote " + ", ".join(str(p) for p in written))


def cmd_train(args):
    """Trains with a named recipe and saves the model with its metadata."""
    from mnist_core import storage

    out = _checked_out(args, args.recipe)
    result = _train(args, args.recipe, _load(args))
    name = args.name or args.recipe
    written = storage.save_model(result.model, out / f"{name}.keras", result.metadata, h5=args.h5)
    print("Wrote " + ", ".join(str(p) for p in written))
    print(f"Test accuracy: {result.test_accuracy:.4f}")
    if "drawings_heldout" in result.metadata:
        print(f"Held-out drawings: {result.metadata['drawings_accuracy']:.4f} of "
              f"{result.metadata['drawings_heldout']}")


def cmd_evaluate(args):
    """Prints a model's accuracy on the 10,000 test images."""
    from mnist_core.reading.inference import Predictor
    from mnist_core.training.model import prepare_images
    from mnist_core.untrusted.loader import load_untrusted

    loaded = load_untrusted(args.model)  # any file named on the command line is untrusted
    (_, _), (x_test, y_test) = _load(args)
    predicted = Predictor(loaded.model).probabilities(prepare_images(x_test)).argmax(axis=1)
    print(f"Test accuracy: {float((predicted == y_test).mean()):.4f}")
    if args.confusion:
        from mnist_core.evaluation.test_report import confusion_matrix, confusion_table

        print(confusion_table(confusion_matrix(y_test, predicted)))


def _seed(text):
    """argparse type for --seed: a whole number in 0..MAX_SEED, else one line from argparse."""
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= seed <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{seed} is outside 0..{MAX_SEED}")
    return seed


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows defaults in help, except the empty ones (None, False), which would read as noise."""

    def _get_help_string(self, action):
        if action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def build_parser():
    """The argument parser, every command with its defaults shown in `--help`."""
    import mnist_core.cli.drawings as cli_drawings
    import mnist_core.cli.models as cli_models
    import mnist_core.cli.predict as cli_predict
    from mnist_core.constants import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS
    from mnist_core.training.recipes import PRECISIONS, RECIPES

    formatter = _Formatter
    parser = argparse.ArgumentParser(
        prog="python -m mnist_core", formatter_class=formatter,
        description="The Keras MNIST tutorial as a command line: fetch the data, train, "
                    "evaluate and predict.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, function, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text,
                                  formatter_class=formatter)
        sub.set_defaults(run=function)
        return sub

    def training_options(sub, recipe_default_note):
        sub.add_argument("--epochs", type=int, default=None,
                         help=f"epochs to train ({recipe_default_note}: {DEFAULT_EPOCHS})")
        sub.add_argument("--batch-size", type=int, default=None,
                         help=f"images per batch ({recipe_default_note}: {DEFAULT_BATCH_SIZE})")
        sub.add_argument("--limit", type=int, default=None, metavar="N",
                         help="train on the first N training images only (default: all 60000)")
        sub.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                         help=f"random seed, 0 to {MAX_SEED}")
        sub.add_argument("--precision", choices=PRECISIONS, default="auto",
                         help="auto: bfloat16 maths with float32 weights where the CPU has it "
                              "natively (faster), else float32; float32: the tutorial's maths")
        sub.add_argument("--out", metavar="DIR", default=None,
                         help="output folder (default: a new folder under runs/)")
        data_option(sub)

    sub = command("data", cmd_data, "Download (or read), verify and cache MNIST.")
    sub.add_argument("--refresh", action="store_true", help="discard the cache first")
    data_option(sub)

    sub = command("tutorial", cmd_tutorial,
                  "Run the whole tutorial: train, save mnist_model.h5, print the test accuracy, "
                  "draw the learning curves and predict the first test image.")
    training_options(sub, "tutorial")

    sub = command("train", cmd_train, "Train a model with a named recipe and save it.")
    sub.add_argument("--recipe", default="tutorial", choices=sorted(RECIPES),
                     help="; ".join(f"{r.name}: {r.summary.rstrip('.')}" for r in RECIPES.values())
                     .replace("%", "%%"))  # argparse %-formats help texts
    sub.add_argument("--name", default=None, help="file name of the model (default: the recipe)")
    sub.add_argument("--h5", action="store_true", help="also write the legacy .h5 file")
    training_options(sub, "recipe default, tutorial")
    cli_drawings.add_training_option(sub)

    cli_models.add_parser(command)

    sub = command("evaluate", cmd_evaluate, "Print a model's accuracy on the 10,000 test images.")
    sub.add_argument("model", metavar="MODEL", help="a .keras or .h5 model file")
    sub.add_argument("--confusion", action="store_true",
                     help="also print the 10x10 confusion matrix (rows: true digit, columns: "
                          "predicted)")
    data_option(sub)

    cli_predict.add_parser(command)
    cli_drawings.add_commands(command)
    from mnist_core.cli.explain import add_parser as add_explain
    from mnist_core.cli.reports import add_parser as add_reports

    add_explain(command)
    add_reports(command)
    return parser


def main(argv=None):
    """Runs one command; returns the exit status (0 on success, 1 on a user error, 130 on Ctrl-C)."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except MnistError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted; nothing was saved.", file=sys.stderr)
        return 130
    return 0
