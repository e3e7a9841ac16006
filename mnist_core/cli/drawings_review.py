"""`python -m mnist_core drawings review|approve|reject|prune`: the deployer's word on visitors'
labels (`mnist_core.drawings.trust`, `mnist_core.drawings.moderation`)."""

import time
from pathlib import Path

import numpy as np

from mnist_core.errors import MnistError


def add_commands(actions):
    """Registers the four actions under `drawings`'s subparsers."""
    review = actions.add_parser(
        "review", help="the disputed drawings as a PNG grid, with their labels and readings",
        description="Judges new labels, then draws the disputed drawings (oldest first, at most "
        "120) as a grid: each tile's label reads 'label>reading|probability of the label', and "
        "the list printed gives each tile's id for approve or reject.")
    review.add_argument("--out", metavar="FILE.png", required=True, help="the grid to write")
    review.set_defaults(run=cmd_review)
    for name, status, word in (
            ("approve", "approved", "trained on and scored, whatever the reference model says"),
            ("reject", "rejected", "never used, even if relabelled")):
        sub = actions.add_parser(name, help=f"these drawings' labels are {word}",
                                 description=f"Marks drawings {status}: their labels are {word}.")
        sub.add_argument("ids", metavar="ID", type=int, nargs="+", help="ids from `review`")
        sub.set_defaults(run=cmd_status, status=status)
    prune = actions.add_parser(
        "prune", help="delete drawings to free room (by session, age, disputed)",
        description="Deletes the drawings matching every criterion given.")
    prune.add_argument("--session", action="append", default=[], metavar="S",
                       help="a session's drawings (repeat for several)")
    prune.add_argument("--older-than", type=float, metavar="DAYS",
                       help="drawings recorded more than DAYS days ago")
    prune.add_argument("--disputed", action="store_true", help="disputed and rejected drawings")
    prune.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")
    prune.set_defaults(run=cmd_prune)


def cmd_review(args):
    """Writes the disputed drawings' grid and prints one line per tile."""
    from mnist_core.atomic_files import replaced_atomically
    from mnist_core.drawings import moderation, trust
    from mnist_core.drawings.store import DrawingsDB
    from mnist_core.evaluation.image_grid import image_grid

    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise MnistError(f"The review grid must be a .png file, not {out.name}.")
    db = DrawingsDB()
    predictor = trust.reference_predictor()
    judged = trust.assess(db, predictor)
    shown = moderation.disputed(db)
    print(f"{db.where}: {status_counts(db)}; just judged: {judged['plausible']} plausible, "
          f"{judged['disputed']} disputed")
    if predictor is None:
        print("No reference model (MNIST_TRUST_MODEL): labels are judged by agreement only.")
    if not len(shown.ids):
        print("No disputed drawing to review.")
        return
    readings = (predictor.probabilities(shown.images / np.float32(255)) if predictor is not None
                else np.full((len(shown.ids), 10), np.nan, np.float32))
    given = readings[np.arange(len(shown.ids)), shown.labels]
    tiles = ([f"{label}>{reading.argmax()}|{p:.0%}"
              for label, reading, p in zip(shown.labels, readings, given)]
             if predictor is not None else [f"{label}>?" for label in shown.labels])
    from PIL import Image

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with replaced_atomically(out) as temporary:
            Image.fromarray(image_grid(shown.images, tiles)).save(temporary, format="PNG")
    except OSError as error:
        raise MnistError(unwritable(out, error)) from None
    print(f"Wrote {len(shown.ids)} disputed drawings to {out} (tile: label>reference "
          "reading|its probability for the label), row by row:")
    print(f"{'tile':>4} {'id':>7} {'label':>5} {'read when drawn':>15} {'reference':>9} "
          f"{'p(label)':>8}  session           recorded")
    for n, row_id in enumerate(shown.ids):
        reference = f"{readings[n].argmax()}" if predictor is not None else "-"
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(shown.created[n]))
        print(f"{n + 1:>4} {row_id:>7} {shown.labels[n]:>5} {shown.predicted[n]:>15} "
              f"{reference:>9} {given[n]:>8.1%}  {str(shown.sessions[n])[:16]:<16}  {when} UTC")
    print("Then: python -m mnist_core drawings approve ID... | reject ID...")


def cmd_status(args):
    """Approves or rejects rows by id."""
    from mnist_core.drawings import moderation
    from mnist_core.drawings.store import DrawingsDB

    missing = moderation.set_status(DrawingsDB(), args.ids, args.status)
    done = len(set(args.ids)) - len(missing)
    print(f"{done} drawing{'s' if done != 1 else ''} {args.status}.")
    if missing:
        raise MnistError(f"No drawing has the id{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(map(str, missing))}: see `drawings review`.")


def cmd_prune(args):
    """Deletes (or, with --dry-run, counts) the drawings matching the criteria."""
    from mnist_core.drawings import moderation
    from mnist_core.drawings.store import DrawingsDB

    db = DrawingsDB()
    if args.dry_run and db.path and db.path.exists():  # the store would move an unreadable
        # file aside
        from mnist_core.drawings.store_file import check_sqlite

        check_sqlite(db.path)
    try:
        counts = moderation.prune(db, args.session, args.older_than, args.disputed, args.dry_run)
    except ValueError as error:
        raise MnistError(str(error)) from None
    total = sum(counts.values())
    detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    verb = "would be deleted (dry run: nothing deleted)" if args.dry_run else "deleted"
    print(f"{total} drawing{'s' if total != 1 else ''} {verb}" + (f": {detail}." if total else "."))


def status_counts(db):
    counts = dict(db.read("SELECT status, count(*) FROM drawings GROUP BY status"))
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in
                     ("pending", "plausible", "disputed", "approved", "rejected"))

def unwritable(out, error):
    """One sentence for an output file the system refused (a folder that cannot be created, a
    read-only disk, no room), naming the file as given."""
    return f"{out.name} could not be written ({error.strerror or error}): choose another --out."
