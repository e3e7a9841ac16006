"""Shared fixtures: tiny synthetic MNIST-shaped data, the real MNIST (verified), the shipped
models loaded once per session; and the rule that keeps the quick suite quick: a test that starts
a child process (a training, a sandboxed load, the command line) is marked `process`, which
makes it `slow` too, and one that starts a process unmarked fails and says so."""

import os
import platform
import subprocess

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


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("process") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    config.pluginmanager.register(XdistGroupIds(), "xdist-group-ids")


class XdistGroupIds:
    # Last: after every hook that marks a group (tests/browser/conftest.py), and after `-m`
    # has deselected by the marks this file adds.
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        name_xdist_groups(config, items)


def name_xdist_groups(config, items):
    """Appends each test's `xdist_group` to its node id (`...::test@browser`), as pytest-xdist
    means to: `--dist loadgroup` keeps the tests whose ids end alike on one worker.

    pytest-xdist 3.8 writes the suffixed id to `item._nodeid`, which pytest 9.2 no longer
    reads (an item's id is `item._id` now), so every group was spread over both workers: each
    launched its own Chromium and its own app servers, and the training tests' module ran two
    training servers side by side. Does nothing where xdist already named the group."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = {str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                 for mark in item.iter_markers("xdist_group")}
        if names and item.nodeid.rfind("@") <= item.nodeid.rfind("]"):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(names))}")


# Importing TensorFlow asks `platform.processor()`, which runs `uname -p` once per process; asked
# here first, it is cached, and no test is blamed for the import that happens to come first.
platform.processor()


@pytest.fixture(autouse=True)
def processes_are_marked(request, monkeypatch):
    """Fails a test that starts a child process without the `process` mark: the quick suite
    (`-m "not slow"`) must not wait for interpreters and TensorFlow to start."""
    if request.node.get_closest_marker("slow"):  # `process` and `browser` tests are slow too
        yield
        return
    started = []
    execute = subprocess.Popen._execute_child

    def counted(self, args, *rest, **options):
        started.append(args)
        return execute(self, args, *rest, **options)

    monkeypatch.setattr(subprocess.Popen, "_execute_child", counted)
    yield
    if started:
        pytest.fail(f"this test started {len(started)} child process(es) (first: "
                    f"{str(started[0])[:120]}); mark it @pytest.mark.process", pytrace=False)


@pytest.fixture(autouse=True)
def private_drawings(tmp_path, monkeypatch):
    """Every test records visitors' drawings (issue 13) in a file of its own, never in data/."""
    monkeypatch.setenv("MNIST_DRAWINGS_DB", str(tmp_path / "drawings.sqlite"))


@pytest.fixture(autouse=True)
def no_training_spare(monkeypatch):
    """No page of a test keeps a training process ready (issue 24) unless the test asks: each
    would import TensorFlow in the background."""
    monkeypatch.setenv("MNIST_TRAINING_SPARE", "0")


@pytest.fixture(autouse=True)
def trainings_at_normal_priority(monkeypatch):
    """A test's trainings run at its own priority (`MNIST_TRAINING_NICE=0`): beside the other
    xdist worker's servers and browsers on 2 cores, a training at the default nice 19 can wait
    minutes for a core (CI's browser trainings did). What a training does is tested here; the
    default priority has tests of its own, which unset this."""
    monkeypatch.setenv("MNIST_TRAINING_NICE", "0")


@pytest.fixture(scope="session")
def postgres_server():
    """`(server, None)`: a real PostgreSQL server for this pytest process (one per xdist
    worker; `tests/postgres_server.py`), stopped at the end; `(None, reason)` where PostgreSQL
    is not installed (`scripts/test.sh` installs Debian's package)."""
    from tests.postgres_server import PostgresServer, binaries

    found = binaries()
    if found is None:
        yield None, ("PostgreSQL is not installed (no initdb): scripts/test.sh installs "
                     "Debian's postgresql package")
        return
    server = PostgresServer(found).start()
    yield server, None
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path, monkeypatch, postgres_server):
    """Where a test's drawings store lives, once per backend (issue 23): the SQLite file of
    `MNIST_DRAWINGS_DB`, then a fresh database on the test server, named by
    `MNIST_DRAWINGS_URL` as a deployer would (so the page's and the command line's store is
    the same)."""
    if request.param == "sqlite":
        return tmp_path / "drawings.sqlite"  # `private_drawings`' file
    server, reason = postgres_server
    if server is None:
        pytest.skip(reason)
    url = server.create()
    monkeypatch.setenv("MNIST_DRAWINGS_URL", url)
    return url


FILE_ONLY = pytest.mark.parametrize("store_location", ["sqlite"], indirect=True)
"""On a test of the drawings store: its SQLite file only. For what no SQL decides (the trust
rule's cost in Python, a file named on the command line) or what the server's tests cover
faster: the suite is at its time limit, and each variant on the server costs ~0.2-5 s."""


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


@pytest.fixture(scope="session")
def tutorial_model(default_model_path):
    """The shipped tutorial model, loaded once per session: a test must not change it."""
    from mnist_core.untrusted.checked_load import load_model

    return load_model(default_model_path).model


@pytest.fixture(scope="session")
def strong_model():
    """The shipped strong model, loaded once per session: a test must not change it."""
    from mnist_core.untrusted.checked_load import load_model

    return load_model(ROOT / "models" / "strong.keras").model
