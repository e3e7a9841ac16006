"""`python -m mnist_core reports`: every model of a folder read over the 10,000 test images once
and stored (`mnist_core.evaluation.report_store`), so the page's Explore shows each at once, even on
the first visit after a restart. The shipped models' reports are made this way."""

import time

from mnist_core.cli.options import data_option, models_dir_option, models_folder
from mnist_core.errors import MnistError, ModelFileError


def add_parser(command):
    """Registers `reports` through commands.py's `command(name, function, help)`."""
    sub = command("reports", cmd_reports,
                  "Compute and store the test-set report of every model in a folder (confusion, "
                  "misread images, drawn-digit accuracy) for the page's Explore view.")
    models_dir_option(sub)
    data_option(sub)


def cmd_reports(args):
    """Prints, for each model of the folder, whether its report was stored or already there.

    Raises:
        MnistError: some model could not be read (each named on its own line above).
    """
    from mnist_core import storage
    from mnist_core.data.mnist import load_data

    folder = models_folder(args)
    (_, _), (x_test, y_test) = load_data(path=args.data)
    skipped = 0
    for path, metadata in storage.list_models(folder):
        try:
            print(f"{path.name}: {_store(path, metadata, x_test, y_test)}")
        except (ModelFileError, OSError) as error:  # unreadable, or removed meanwhile
            skipped += 1
            reason = str(error) if isinstance(error, ModelFileError) else "it is gone"
            print(f"{path.name}: skipped ({reason})")
    if skipped:
        raise MnistError(f"{skipped} model(s) of {folder.name}/ could not be read; the others' "
                         "reports are stored.")


def _store(path, metadata, x_test, y_test):
    from mnist_core import storage
    from mnist_core.evaluation import report_store
    from mnist_core.evaluation.drawn_score import prepared_drawn_set, share_read_right
    from mnist_core.evaluation.test_report import report_of
    from mnist_core.reading.inference import Predictor
    from mnist_core.untrusted.checked_load import load_model

    if report_store.load_report(path, y_test, storage.file_digest(path)) is not None:
        return "already stored"  # a report of these very bytes: no need to load the model
    started = time.perf_counter()
    loaded = load_model(path)
    if loaded.digest is None:
        raise ModelFileError(f"{path.name} changed while it was read; run the command again.")
    predictor = Predictor(loaded.model)
    report = report_of(predictor.probabilities, x_test, y_test)
    drawn = metadata.get("drawn_accuracy")
    if not isinstance(drawn, (int, float)):
        drawn = share_read_right(predictor, prepared_drawn_set(x_test, y_test))
    stored = report_store.save_report(path, report, drawn, loaded.digest)
    outcome = "stored" if stored else "NOT stored (see the log)"
    return f"test accuracy {report.accuracy:.4f}, {outcome} in {time.perf_counter() - started:.1f} s"
