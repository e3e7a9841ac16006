"""`python -m mnist_core drawings stats|export` and `train --with-drawings`: the command line
over visitors' recorded drawings (`MNIST_DRAWINGS_DB`, or `MNIST_DRAWINGS_URL`'s server);
`review|approve|reject|prune` are `drawings_review`'s."""

from pathlib import Path

import numpy as np

from mnist_core.cli.options import models_dir_option, models_folder
from mnist_core.constants import NOT_A_DIGIT, NUM_CLASSES
from mnist_core.errors import MnistError

LABEL_NAMES = [str(d) for d in range(NUM_CLASSES)] + ["not a digit"]  # index NOT_A_DIGIT
"""The export's `label_names`: what each value of `y` means."""


def add_commands(command):
    """Registers `drawings` (stats, export) through commands.py's `command(...)`."""
    sub = command("drawings", None, "Visitors' recorded drawings ($MNIST_DRAWINGS_DB, or "
                  "$MNIST_DRAWINGS_URL's server): counts, "
                  "each model's accuracy on them, an export for training, and the deployer's "
                  "review of disputed labels.")
    actions = sub.add_subparsers(dest="action", required=True, metavar="ACTION")
    stats = actions.add_parser("stats", help="counts per digit, each model's accuracy on them "
                               "and on the last 500", description="Counts per digit and each "
                               "model's accuracy on the recorded drawings.")
    models_dir_option(stats)
    stats.set_defaults(run=cmd_stats)
    export = actions.add_parser("export", help="write x uint8 (N, 28, 28), y uint8 (N,) as .npz",
                                description="Write the drawings in the keras.datasets layout: "
                                f"y is the visitor's label, {NOT_A_DIGIT} for 'not a digit'; "
                                "label_names names each label.")
    export.add_argument("--out", metavar="FILE.npz", required=True, help="the file to write")
    export.add_argument("--all", action="store_true",
                        help="every drawing, also those whose label is disputed, not yet judged "
                             "or rejected (by default only trusted labels: an export is trained "
                             "on as it is)")
    export.set_defaults(run=cmd_export)
    from mnist_core.cli.drawings_review import add_commands as add_review_commands

    add_review_commands(actions)


def add_training_option(sub):
    """`--with-drawings [FILE.npz or DB]` and `--drawings-weight` for `train`."""
    from mnist_core.drawings.training_mix import DEFAULT_WEIGHT

    sub.add_argument("--with-drawings", nargs="?", const="", default=None, metavar="SOURCE",
                     help="mix recorded drawings into training (an .npz from `drawings export` or "
                          "a drawings database; alone: $MNIST_DRAWINGS_DB), a fifth held out")
    sub.add_argument("--drawings-weight", type=int, default=DEFAULT_WEIGHT, metavar="N",
                     help="times each drawing is repeated in an epoch")


def extra_of(args):
    """The `extra` that `train()` takes for these arguments (None without --with-drawings)."""
    source = getattr(args, "with_drawings", None)
    if source is None:
        return None
    from mnist_core.drawings.training_mix import drawings_extra

    return drawings_extra(source or None, weight=args.drawings_weight)


def cmd_stats(args):
    """Prints counts per digit and each model's accuracy on the drawings whose labels are
    trusted (`drawings.trust`), each session and client address at most a small share."""
    from mnist_core import storage
    from mnist_core.cli.drawings_review import status_counts
    from mnist_core.drawings import trust
    from mnist_core.drawings.scores import (RECENT, SCORED_DRAWINGS, model_score,
                                            per_digit_counts, score)
    from mnist_core.drawings.store import DrawingsDB
    from mnist_core.reading.inference import Predictor
    from mnist_core.untrusted.checked_load import load_model

    db = DrawingsDB()
    total = db.count()
    print(f"{total} drawings in {db.where}")
    if not total:
        return
    trust.assess(db, trust.reference_predictor())
    x, y = trust.for_score(db, SCORED_DRAWINGS)
    print(f"labels: {status_counts(db)} (models are scored on {len(y)} plausible or approved, "
          "each session and address a small share)")
    if unsound := db.unsound():
        print(f"{unsound} rows this app did not write are left out, unread.")
    labels = db.pairs()[0]
    counts = per_digit_counts(labels)
    print("per digit: " + "  ".join(f"{d}: {n}" for d, n in enumerate(counts)))
    if others := int((labels == NOT_A_DIGIT).sum()):
        print(f"not a digit: {others} (label {NOT_A_DIGIT}; no accuracy counts them)")
    when_drawn = score(*trust.readings_for_score(db, RECENT))
    if when_drawn.total:
        print(f"as read when drawn, last {when_drawn.total}: {when_drawn.accuracy:.2%}")
    if not len(y):
        return  # no drawing of a digit to score the models on
    folder = models_folder(args)
    width = max([len(p.name) for p, _ in storage.list_models(folder)] or [0])
    for path, _ in storage.list_models(folder):
        predictor = Predictor(load_model(path).model)
        every, recent = model_score(predictor, x, y), model_score(predictor, x[-RECENT:], y[-RECENT:])
        print(f"{path.name:<{width}}  {every.accuracy:7.2%} of {every.total}"
              f"  last {recent.total}: {recent.accuracy:7.2%}")


def cmd_export(args):
    """Writes the drawings as an .npz: `x` uint8 (N, 28, 28), `y` uint8 (N,) labels 0..9 or
    `NOT_A_DIGIT`, and `label_names` (11,) str: what each label value means."""
    from mnist_core.atomic_files import replaced_atomically
    from mnist_core.drawings.store import DrawingsDB

    out = Path(args.out)
    if out.suffix != ".npz":
        raise MnistError(f"The export must be an .npz file, not {out.name}.")
    db = DrawingsDB()
    if not args.all:  # `train --with-drawings F.npz` takes an export's labels as they are
        from mnist_core.drawings import trust

        trust.assess(db, trust.reference_predictor())
    x, y = db.images(trusted=not args.all)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(out) as temporary:
            np.savez_compressed(temporary, x=x, y=y, label_names=LABEL_NAMES)
    except OSError as error:
        from mnist_core.cli.drawings_review import unwritable

        raise MnistError(unwritable(out, error)) from None
    others = int((y == NOT_A_DIGIT).sum())
    left_out = 0 if args.all else db.count() - db.unsound() - len(y)
    print(f"Wrote {len(y)} drawings to {out}"
          + (f" ({others} not a digit, y = {NOT_A_DIGIT})" if others else "")
          + (f"; {left_out} whose label is disputed, not yet judged or rejected left out "
             "(--all writes them too)" if left_out else ""))
