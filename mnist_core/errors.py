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
