"""Poisoned labels in the drawings store: the quick recipe with them, trust rule on, same run.

    .venv/bin/python bench/poisoned_labels.py [--poisoned 1000] [--sessions 50] [--untrusted]

Issue #22's attack: a script opens 50 fresh sessions and records 20 MNIST training '1's each,
labelled 7 (1,000 rows, through `DrawingsDB.record` as the page records a correction, no client
address: what the command line and a local page know). Beside them, honest visitors' corrections:
the European-style digits `tutorial.keras` misreads (`bench/with_drawings.py`'s). Then
`drawings_extra` (what `train --with-drawings` and the page's "Mix in visitors' drawings" call)
judges the labels with the shipped reference model (`MNIST_TRUST_MODEL`, strong.keras) and keeps
the trusted ones; the quick recipe is trained without drawings (the reference) and with them,
same seed. Printed: how many poisoned rows and corrections were trusted, and for each model the
MNIST test '1's read as 1, the test accuracy and the held-out corrections' accuracy.
`--untrusted` also trains with every label taken as given (today's main: the attack's effect).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mnist_core import storage  # noqa: E402
from mnist_core.data.mnist import load_data  # noqa: E402
from mnist_core.drawings.store import DrawingsDB  # noqa: E402
from mnist_core.drawings.training_mix import drawings_extra, split  # noqa: E402
from mnist_core.reading.inference import Predictor  # noqa: E402
from mnist_core.untrusted.checked_load import load_model  # noqa: E402
from with_drawings import record_visitors  # noqa: E402

ONE, SEVEN = 1, 7


def record_poison(db, x_train, y_train, n, sessions, predictor):
    """Records `n` MNIST training '1's labelled 7 from `sessions` sessions; returns their bytes."""
    ones = x_train[y_train == ONE][:n]
    probabilities = predictor.probabilities(ones / np.float32(255))
    per = -(-n // sessions)
    for i, (image, p) in enumerate(zip(ones, probabilities)):
        db.record(session=f"poison{i // per:03d}", label=SEVEN, predicted=int(p.argmax()),
                  probabilities=p, image=image, crop=np.zeros((56, 56), np.uint8),
                  model="tutorial.keras", language="en", now=float(i))
    return {image.tobytes() for image in ones}


def figures(model, x_test, y_test, extra, corrections):
    predictor = Predictor(model, gate=None)
    read = predictor.probabilities(x_test / np.float32(255)).argmax(1)
    ones = y_test == ONE
    held = np.array([image.tobytes() in corrections for image in extra.x_heldout], bool)
    on_held = predictor.probabilities(extra.x_heldout[held] / np.float32(255)).argmax(1)
    return (int((read[ones] == ONE).sum()), int(ones.sum()), float((read == y_test).mean()),
            float((on_held == extra.y_heldout[held]).mean()) if held.any() else None,
            int(held.sum()))


def main():
    from mnist_core.jobs.scored_training import train_and_score

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--poisoned", type=int, default=1000, help="MNIST '1's labelled 7")
    parser.add_argument("--sessions", type=int, default=50, help="sessions they come from")
    parser.add_argument("--corrections", type=int, default=300,
                        help="honest corrections recorded at most (bench/with_drawings.py's)")
    parser.add_argument("--untrusted", action="store_true",
                        help="also train with every label taken as given (the attack on main)")
    parser.add_argument("--judge-only", action="store_true", help="judge the labels, train nothing")
    args = parser.parse_args()
    # The script records faster than any visitor may: the store's own limits are not measured here.
    for name in ("MNIST_DRAWINGS_PER_SESSION", "MNIST_DRAWINGS_PER_HOUR"):
        os.environ.setdefault(name, "100000")
    data = load_data()
    (x_train, y_train), (x_test, y_test) = data
    shipped = Predictor(load_model(storage.models_dir() / "tutorial.keras").model, gate=None)
    with tempfile.TemporaryDirectory() as folder:
        db = DrawingsDB(Path(folder) / "drawings.sqlite", per_minute=10_000)
        poison = record_poison(db, x_train, y_train, args.poisoned, args.sessions, shipped)
        recorded, drawn, _ = record_visitors(db, args.corrections, 5000, shipped)
        started = time.perf_counter()
        extra = drawings_extra(db.path)
        judging = time.perf_counter() - started
        statuses = dict(db.read("SELECT status, count(*) FROM drawings GROUP BY status"))
        x_all, y_all = db.images(digits=True)
    trained = np.concatenate([extra.x_train, extra.x_heldout])
    kept = {image.tobytes() for image in trained}
    corrections = {image.tobytes() for image, label in zip(x_all, y_all)
                   if image.tobytes() not in poison}
    print(f"store: {len(poison)} poisoned ('1' labelled 7, {args.sessions} sessions) + "
          f"{recorded} corrections of {drawn} European-form drawings; judged in {judging:.1f} s "
          f"with strong.keras: {statuses}")
    print(f"trusted: {len(kept & poison)} of {len(poison)} poisoned, "
          f"{len(kept & corrections)} of {len(corrections)} corrections; "
          f"{len(extra.y_train)} to train on, {len(extra.y_heldout)} held out")
    if args.judge_only:
        return
    runs = [("quick", None), ("quick + trusted drawings", extra)]
    if args.untrusted:
        runs.append(("quick + every label (main)", split(x_all, y_all)))
    rows = []
    for name, chosen in runs:
        started = time.perf_counter()
        result = train_and_score("quick", data=data, drawings=chosen)
        rows.append((name, *figures(result.model, x_test, y_test, extra, corrections),
                     time.perf_counter() - started))
    print(f"{'model':<28} {'test 1s read as 1':>18} {'MNIST test':>11} "
          f"{'held-out corrections':>21} {'training':>9}")
    for name, right, ones, accuracy, held, n_held, seconds in rows:
        held_text = f"{held:.1%} of {n_held}" if held is not None else "-"
        print(f"{name:<28} {right:>5} of {ones} {right / ones:>6.1%} {accuracy:>11.2%} "
              f"{held_text:>21} {seconds:>7.0f} s")


if __name__ == "__main__":
    main()
