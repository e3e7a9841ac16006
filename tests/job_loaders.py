"""Tiny data loaders for `TrainingJobs` tests, named `tests.job_loaders:NAME` to the child process.

A module of their own, so the training process does not import a test module (and the tests
it holds) to find its loader.
"""

import sys
import time

from mnist_core.errors import DataUnavailableError, MnistError
from tests.conftest import make_tiny_data


def tiny():
    return make_tiny_data()


def slow_tiny():
    time.sleep(3)
    return make_tiny_data()


def broken():
    raise RuntimeError("disk on fire")


def offline():
    raise DataUnavailableError("Could not load MNIST: everything failed.")


def page_modules():
    """Fails, naming the page's modules the training process has imported (there should be none)."""
    names = sorted(m for m in sys.modules if m.split(".")[0] in ("streamlit", "ui", "streamlit_app"))
    raise MnistError(f"Page modules in the training process: {names}.")
