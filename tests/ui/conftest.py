"""The page under `AppTest`: its fixtures, for every test here.

AppTest cannot draw on the custom canvas, so `canvas` replaces `ui.canvas.st_canvas` with a fake
that returns what the browser would send, a PNG data URL of chosen pixels (tests/browser/ draws
real strokes). `models` gives each test a private models folder and fresh caches; `jobs` the
page's training manager over it, its state set by the test.
"""

import shutil
import types

import pytest
import streamlit as st

from mnist_core.jobs.training_jobs import TrainingJobs
from tests.app_kit import png_data_url
from tests.conftest import ROOT


@pytest.fixture
def models(tmp_path, monkeypatch):
    """A private models/ folder holding a copy of the default model; fresh caches.

    Explore waits for MNIST as long as it takes: on a busy machine the cached copy can take
    longer than the page's few seconds, and a test that wants "loading" sets its own wait.
    """
    import ui.mnist_loader

    monkeypatch.setattr(ui.mnist_loader, "WAIT_SECONDS", 60.0)
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, folder / name)
    monkeypatch.setenv("MNIST_MODELS_DIR", str(folder))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield folder
    st.cache_resource.clear()


STROKE = {"type": "Path", "stroke": "#FFFFFF", "strokeWidth": 18,
          "path": [["M", 100, 40], ["Q", 140, 40, 180, 40], ["L", 120, 240]]}
"""One pen stroke as fabric.js writes it: what the fake canvas sends beside its image."""


@pytest.fixture
def canvas(monkeypatch):
    """Sets what the fake canvas sends: `canvas(pixels)` (an RGBA array, sent as a PNG data URL
    as the browser does) or `canvas("data:...")` (any text); None (nothing sent) at first.
    `canvas(value, json_data)` also sets the fabric.js drawing it sends (one stroke by default).

    The fake keeps the value where the real result keeps it (`_image_data_url`), and its
    `image_data` fails the test: the page must never decode the value without limits. Like the
    real canvas, one under a new key sends nothing and returns its `initial_drawing` as its
    drawing. `canvas.calls` holds the keyword arguments of every call, the last one last.
    """
    import ui.canvas

    drawn = {"url": None, "json": None, "key": None}
    calls = []

    class FakeResult(types.SimpleNamespace):
        @property
        def image_data(self):
            pytest.fail("the page decoded the canvas value through image_data, without limits")

    def fake_canvas(**kwargs):
        calls.append(kwargs)
        if drawn["key"] not in (None, kwargs["key"]):
            drawn["url"] = None  # a canvas under a new key starts empty, as in the browser
        drawn["key"] = kwargs["key"]
        if drawn["url"] is None:
            return FakeResult(_image_data_url=None, json_data=kwargs.get("initial_drawing"))
        return FakeResult(_image_data_url=drawn["url"], json_data=drawn["json"])

    def send(value, json_data=None):
        url = value if value is None or isinstance(value, str) else png_data_url(value)
        drawn.update(url=url, json={"version": "6.7.1", "objects": [STROKE]}
                     if json_data is None else json_data)

    send.calls = calls
    monkeypatch.setattr(ui.canvas, "st_canvas", fake_canvas)
    return send


@pytest.fixture
def jobs(models, monkeypatch):
    """The page's training manager over the private models folder; its state is set by tests."""
    import ui.resources

    manager = TrainingJobs(models)
    monkeypatch.setattr(ui.resources, "training_jobs", lambda: manager)
    return manager
