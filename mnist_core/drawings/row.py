"""One recorded drawing's values, checked: only what the page produces is stored."""

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NOT_A_DIGIT, NUM_CLASSES
from mnist_core.reading.ink_crop import CROP_SIDE

LANGUAGES = ("en", "fr")
MAX_NAME = 200  # characters of a model's file name kept
MAX_SESSION = 64  # characters of a session id
CLIENT_HEX = 32  # hex digits kept of a client address's keyed hash (`clients.client_hash`)
ROW_BYTES = IMAGE_SIZE * IMAGE_SIZE + CROP_SIDE * CROP_SIDE + 4 * NUM_CLASSES + 208
"""About what one row takes in the file: the two images, the probabilities and the rest."""
TRUSTED_SQL = "status IN ('plausible', 'approved')"
"""SQL: a label trusted to train or score (`mnist_core.drawings.trust.TRUSTED`)."""
SOUND = (f"typeof(input) = 'blob' AND length(input) = {IMAGE_SIZE * IMAGE_SIZE} "
         f"AND typeof(probabilities) = 'blob' AND length(probabilities) = {4 * NUM_CLASSES} "
         f"AND typeof(label) = 'integer' AND label BETWEEN 0 AND {NOT_A_DIGIT} "
         "AND typeof(predicted) = 'integer' AND predicted BETWEEN 0 AND 9 "
         f"AND typeof(session) = 'text' AND length(session) BETWEEN 1 AND {MAX_SESSION} "
         f"AND (client IS NULL OR (typeof(client) = 'text' AND length(client) = {CLIENT_HEX}))")
"""SQL: a row as `checked_row` writes it, told from the sizes and types SQLite declares.

Every query that reads rows back keeps to it, so a file made by hand (a table without the
CHECK constraints, a 300 MB blob, a label of 11) can never make Python read a wrong-sized
value: `length()` of a blob and `typeof()` read the record's header only, never the value.
(A text's `length()` reads the text; only the short session id is measured that way, after
its type.)"""


def _digit(value, what, most=9):
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or not 0 <= value <= most):
        also = f" or {NOT_A_DIGIT} (not a digit)" if most == NOT_A_DIGIT else ""
        raise ValueError(f"The {what} must be a digit from 0 to 9{also}, not {value!r}.")
    return int(value)


def checked_label(value):
    """A visitor's label: a digit 0..9, or `NOT_A_DIGIT` for a drawing that is none."""
    return _digit(value, "label", most=NOT_A_DIGIT)


def _score(value):
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.number))
            or not 0 <= value <= 1):  # NaN fails this too
        raise ValueError(f"The not-a-digit score must be a number from 0 to 1, not {value!r}.")
    return float(value)


def _as_bytes(image, side, what):
    a = np.asarray(image)
    if a.shape != (side, side):
        raise ValueError(f"The {what} must be {side}x{side}, not {a.shape}.")
    if a.dtype.kind == "f":
        if not (np.isfinite(a).all() and a.min() >= 0 and a.max() <= 1):
            raise ValueError(f"The {what} must hold values between 0 and 1.")
        a = np.rint(a * 255)
    elif a.dtype != np.uint8:
        raise ValueError(f"The {what} must be uint8 or float in [0, 1], not {a.dtype}.")
    return a.astype(np.uint8).tobytes()


def checked_row(session, label, predicted, probabilities, image, crop, model, language,
                not_digit_score=None):
    """The column values after `created`, in the table's order, checked.

    Raises:
        ValueError: a value outside what the page produces (a label that is neither a digit
            0..9 nor `NOT_A_DIGIT`, a predicted digit outside 0..9, an image of another size or
            range, probabilities that are not ten numbers, a not-a-digit score outside [0, 1],
            an unknown language, an empty or long session id, or one holding a NUL).
    """
    # A NUL: PostgreSQL refuses it in a text where SQLite keeps it; both stores alike.
    if not isinstance(session, str) or not 0 < len(session) <= MAX_SESSION or "\0" in session:
        raise ValueError("The session id must be a short text.")
    if language not in LANGUAGES:
        raise ValueError(f"The language must be one of {LANGUAGES}, not {language!r}.")
    p = np.asarray(probabilities, np.float32)
    if p.shape != (NUM_CLASSES,) or not np.isfinite(p).all():
        raise ValueError("The probabilities must be ten numbers.")
    model = str(model)[:MAX_NAME].replace("\0", "\ufffd")
    return (session, language, model, _digit(predicted, "predicted digit"),
            p.tobytes(), checked_label(label), _as_bytes(image, IMAGE_SIZE, "input"),
            _as_bytes(crop, CROP_SIDE, "crop"), _score(not_digit_score))
