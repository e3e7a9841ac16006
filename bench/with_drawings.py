"""Training with visitors' drawings: the quick recipe with and without them, same run.

    .venv/bin/python bench/with_drawings.py [--n 300] [--candidates 5000] [--weight 10]

The "visitors" correct European-style digits that the tutorial's MNIST model misreads (a 1
with a long flag, with or without a foot, a 7 with a crossbar, a 4 open at the top, a 9 with a
straight stem, a 2 with a loop): drawings stroked by `mnist_core.data.european_digits` from a random
stream of their own (neither the European evaluation set's nor the strong recipe's training
stream), prepared as the page prepares a drawing; those `tutorial.keras` misreads are recorded
through `DrawingsDB.record` as the page records a correction (with their ink crop). The quick recipe is trained twice on MNIST, with the same seed: without the
drawings (the reference) and with them (`train_and_score(drawings=...)`, a fifth held out, the same split
the command line and the page use). Printed for both, and for the shipped tutorial model: the
accuracy on the held-out drawings and on the MNIST test set.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core import storage  # noqa: E402
from mnist_core.data.mnist import load_data  # noqa: E402
from mnist_core.drawings.store import DrawingsDB  # noqa: E402
from mnist_core.drawings.training_mix import drawings_extra  # noqa: E402
from mnist_core.data.drawn_digits import pose_on_canvas, scheme_of  # noqa: E402
from mnist_core.data.european_digits import EUROPEAN_FORMS, stroke_form  # noqa: E402
from mnist_core.reading.ink_crop import ink_crop  # noqa: E402
from mnist_core.reading.inference import Predictor  # noqa: E402
from mnist_core.reading.preprocess import to_mnist_input  # noqa: E402
from mnist_core.untrusted.checked_load import load_model

VISITOR_STREAM = 73
"""First word of the visitors' random stream: the evaluation set draws from 71, training's
stroked share from 72 (`mnist_core.data.european_digits`)."""
LABELS = sorted(EUROPEAN_FORMS)  # 1, 2, 4, 7, 9


def record_visitors(db, n, candidates, predictor):
    """Records up to `n` European-form drawings that `predictor` misreads, as visitors'
    corrections, from at most `candidates` drawn; returns `(recorded, drawn, seconds)`."""
    started, recorded, i = time.perf_counter(), 0, 0
    while recorded < n and i < candidates:
        batch = []
        for i in range(i, min(i + 100, candidates)):
            label = LABELS[i % len(LABELS)]
            rng = np.random.default_rng([VISITOR_STREAM, i])
            canvas = pose_on_canvas(stroke_form(EUROPEAN_FORMS[label], rng), scheme_of(i), rng)
            batch.append((label, canvas, to_mnist_input(canvas)))
        i += 1
        probabilities = predictor.probabilities(np.stack([image for _, _, image in batch]))
        for (label, canvas, image), p in zip(batch, probabilities):
            if int(p.argmax()) == label or recorded >= n:
                continue  # read right: a visitor would have had nothing to correct
            db.record(session=f"visitor{recorded // 20}", label=int(label),
                      predicted=int(p.argmax()), probabilities=p, image=image,
                      crop=ink_crop(canvas), model="tutorial.keras", language="fr",
                      now=float(recorded * 60))
            recorded += 1
    return recorded, i, time.perf_counter() - started


def accuracies(model, extra, x_test, y_test):
    predictor = Predictor(model)
    held = predictor.probabilities(extra.x_heldout / np.float32(255)).argmax(axis=1)
    test = predictor.probabilities(x_test / np.float32(255)).argmax(axis=1)
    return float((held == extra.y_heldout).mean()), float((test == y_test).mean())


def main():
    from mnist_core.jobs.scored_training import train_and_score

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="misread drawings recorded at most")
    parser.add_argument("--candidates", type=int, default=5000,
                        help="European-form drawings drawn at most to find them")
    parser.add_argument("--weight", type=int, default=10, help="times each is repeated")
    args = parser.parse_args()
    data = load_data()
    (_, _), (x_test, y_test) = data
    shipped = load_model(storage.models_dir() / "tutorial.keras").model
    with tempfile.TemporaryDirectory() as folder:
        db = DrawingsDB(Path(folder) / "drawings.sqlite", per_minute=10_000)
        recorded, drawn, seconds = record_visitors(db, args.n, args.candidates,
                                                   Predictor(shipped))
        labels = db.pairs()[0]
        extra = drawings_extra(db.path, weight=args.weight)
    print(f"{drawn} European-form drawings (digits {LABELS}) drawn, {recorded} misread by "
          f"tutorial.keras recorded as visitors' corrections in {seconds:.1f} s (per digit "
          f"{np.bincount(labels, minlength=10)[LABELS].tolist()}); {len(extra.y_train)} to "
          "train on, "f"{len(extra.y_heldout)} held out")
    rows = [("tutorial.keras (shipped)", *accuracies(shipped, extra, x_test, y_test), None)]
    for name, chosen in (("quick", None), ("quick + drawings", extra)):
        started = time.perf_counter()
        result = train_and_score("quick", data=data, drawings=chosen)
        seconds = time.perf_counter() - started
        rows.append((name, *accuracies(result.model, extra, x_test, y_test), seconds))
        if chosen is not None:
            assert abs(result.metadata["drawings_accuracy"] - rows[-1][1]) < 1e-3
    print(f"{'model':<26} {'held-out drawings':>18} {'MNIST test':>11} {'training':>9}")
    for name, held, test, seconds in rows:
        took = f"{seconds:.1f} s" if seconds is not None else "-"
        print(f"{name:<26} {held:>18.1%} {test:>11.2%} {took:>9}")
    (_, quick_held, quick_test, quick_s), (_, mixed_held, mixed_test, mixed_s) = rows[1:]
    print(f"with drawings / without: held-out drawings {mixed_held:.1%} vs {quick_held:.1%}, "
          f"MNIST test {mixed_test:.2%} vs {quick_test:.2%} ({mixed_test - quick_test:+.2%}), "
          f"training time x{mixed_s / quick_s:.2f}")


if __name__ == "__main__":
    main()
