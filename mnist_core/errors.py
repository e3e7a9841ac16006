"""The errors a user can cause, each carrying one sentence that says what happened and what to do."""


class MnistError(Exception):
    """Base class: `str(error)` is a complete sentence fit to show a person, never a traceback."""


class DataUnavailableError(MnistError):
    """No source could provide a verified copy of MNIST."""


class ModelFileError(MnistError):
    """A file is not a usable model: not a model at all, truncated, unsafe, or the wrong shape."""


class ImageError(MnistError):
    """An image cannot be turned into model input: not an image, too large, or unreadable."""


class BlankImageError(ImageError):
    """An image holds no ink (an empty canvas): there is no digit to classify."""


class TrainingCancelled(MnistError):
    """Training was stopped at the user's request before it finished."""


REASON_CHARS = 200
"""Longest reason from a library (Keras, h5py) quoted in a sentence."""


def short_reason(text, limit=REASON_CHARS):
    """The first line of a library's error text, cut at a word to at most `limit` characters.

    Returns:
        The line itself when short enough, else its longest prefix ending with a whole word,
        followed by "...".
    """
    text = str(text).strip()
    line = text.splitlines()[0].strip() if text else ""
    if len(line) <= limit:
        return line
    return line[:limit - 3].rsplit(" ", 1)[0].rstrip(" ,;:") + "..."
