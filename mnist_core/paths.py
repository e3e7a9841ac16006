"""Where the project's things are: its folder, the default folders for models and drawings, and
the modules started as child processes (`python -m ...`).

Each is named once here, so a module that moves changes one line, and a reader finds every
process the server starts in one place.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project's folder: the one holding `mnist_core/`, put on a child process's `PYTHONPATH`."""

DEFAULT_MODELS_DIR = ROOT / "models"
"""Where models are kept unless `$MNIST_MODELS_DIR` says otherwise."""

DEFAULT_DRAWINGS_DB = ROOT / "data" / "drawings.sqlite"
"""Where visitors' drawings are kept unless `$MNIST_DRAWINGS_DB` says otherwise."""

TRAIN_WORKER = "mnist_core.jobs.worker"
"""The training process a visitor's Train click starts (`jobs`)."""

SPARE_WORKER = "mnist_core.jobs.spare_worker"
"""The training process kept ready before a Train click (`jobs.spare`), issue 24."""

MODEL_CHECK = "mnist_core.untrusted.check_process"
"""The process that checks an uploaded model file's declared facts (`untrusted`)."""

SANDBOX_WORKER = "mnist_core.untrusted.sandbox_worker"
"""The limited process that loads an uploaded model file with Keras (`sandbox`)."""
