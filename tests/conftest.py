"""Shared fixtures: tiny synthetic MNIST-shaped data, the real MNIST (verified), tiny models."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_tiny_data(n_train=64, n_test=32, seed=0):
    """Synthetic data with the MNIST contract: each class is a bright bar at its own row."""
    rng = np.random.default_rng(seed)

    def split(n):
        y = (np.arange(n) % 10).astype(np.uint8)
        x = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
        for i, label in enumerate(y):
            x[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 255
        return x, y

    return split(n_train), split(n_test)


@pytest.fixture(autouse=True)
def private_drawings(tmp_path, monkeypatch):
    """Every test records visitors' drawings (issue 13) in a file of its own, never in data/."""
    monkeypatch.setenv("MNIST_DRAWINGS_DB", str(tmp_path / "drawings.sqlite"))


@pytest.fixture
def tiny_data():
    return make_tiny_data()


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST, verified (CI fetches it first with `python -m mnist_core data`)."""
    from mnist_core.data.mnist import load_data

    return load_data()


@pytest.fixture(scope="session")
def default_model_path():
    return ROOT / "models" / "tutorial.keras"
