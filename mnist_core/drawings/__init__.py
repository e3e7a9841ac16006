"""drawings: what visitors drew and said they drew, kept and put to use.

One recorded drawing's values, checked (`row`); the SQLite file that keeps them, its schema and
migrations (`store_file`), or a PostgreSQL database in its place (`store_server`), recorded
within the deployer's limits, each client address counted by a keyed hash (`clients`),
relabelled and read back (`store`, which says which: `location`); the scores on them, a
visitor's own and each model's on everyone's (`scores`); and their share of a training's
images, with a held-out part to score them on (`training_mix`), from the store or from an export
read back within bounds (`export_file`); which labels are trusted to train and score, each
source's share capped (`trust`), and the deployer's word on them: review, approve, reject, prune
(`moderation`). Depends on the foundation, `reading`, `untrusted` (the reference model's file)
and `evaluation`.
"""

from mnist_core.drawings.row import checked_row
from mnist_core.drawings.scores import (RECENT, SCORED_DRAWINGS, Score, model_score,
                                        per_digit_counts, score)
from mnist_core.drawings.store import DrawingsDB, collecting, db_path, location
from mnist_core.drawings.store_file import DrawingRefused
from mnist_core.drawings.training_mix import (DEFAULT_WEIGHT, HELDOUT_SHARE, MIN_DRAWINGS,
                                              DrawingsExtra, drawings_extra, heldout_facts,
                                              load_drawings, mix_into)

__all__ = [
    "DEFAULT_WEIGHT", "HELDOUT_SHARE", "MIN_DRAWINGS", "RECENT", "SCORED_DRAWINGS",
    "DrawingRefused", "DrawingsDB", "DrawingsExtra", "Score", "checked_row", "collecting",
    "db_path", "drawings_extra", "heldout_facts", "load_drawings", "location", "mix_into",
    "model_score", "per_digit_counts", "score",
]
