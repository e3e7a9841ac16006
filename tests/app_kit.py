"""The page under `AppTest`, shared by the test_app*.py files: a private models folder, a fake
canvas, and helpers to open a tab and draw.

AppTest cannot draw on the custom canvas, so `canvas` replaces `ui.canvas.st_canvas` with a fake
that returns what the browser would send, a PNG data URL of chosen pixels; the browser tests
draw real strokes. Only the open tab is computed, so a test opens the tab it reads with
`open_tab()` (or presets `ui.session_keys.OPEN_TAB` through `start()`).
"""

import base64
import io
import shutil
import types

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.session_keys import TAB_BAR

APP = str(ROOT / "streamlit_app.py")


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


@pytest.fixture
def canvas(monkeypatch):
    """Sets what the fake canvas sends: `canvas(pixels)` (an RGBA array, sent as a PNG data URL
    as the browser does) or `canvas("data:...")` (any text); None (never drawn) at first.

    The fake keeps the value where the real result keeps it (`_image_data_url`), and its
    `image_data` fails the test: the page must never decode the value without limits.
    """
    import ui.canvas

    drawn = {"url": None, "key": None}

    class FakeResult(types.SimpleNamespace):
        @property
        def image_data(self):
            pytest.fail("the page decoded the canvas value through image_data, without limits")

    def fake_canvas(**kwargs):
        if drawn["key"] not in (None, kwargs["key"]):
            drawn["url"] = None  # a canvas under a new key starts empty, as in the browser
        drawn["key"] = kwargs["key"]
        return FakeResult(_image_data_url=drawn["url"])

    monkeypatch.setattr(ui.canvas, "st_canvas", fake_canvas)
    return lambda value: drawn.update(url=value if value is None or isinstance(value, str)
                                      else png_data_url(value))


def png_data_url(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def open_tab(at, name, language="en"):
    """Opens tab `name` ('draw', 'train' or 'explore') as a click on it would, and reruns."""
    from ui.texts import text

    at.session_state[TAB_BAR] = text(language, f"tab_{name}")
    return at.run()


def canvas_of(digit_image):
    """A 280x280 RGBA canvas like the real one: white stroke on an opaque black background."""
    big = np.asarray(Image.fromarray(digit_image).resize((200, 200), Image.BILINEAR))
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[50:250, 30:230, :3] = big[..., None]
    return rgba


def start(**session):
    """A new visitor's page, run once; `session` presets its session state (e.g. the open tab)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at
