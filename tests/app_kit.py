"""Helpers for the page under `AppTest` (the fixtures are in tests/ui/conftest.py): start a
visitor's page, open a tab, and make the canvas values the fake canvas sends.

Only the open tab is computed, so a test opens the tab it reads with `open_tab()` (or presets
`ui.session_keys.OPEN_TAB` through `start()`).
"""

import base64
import io

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.session_keys import TAB_BAR

APP = str(ROOT / "streamlit_app.py")


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
