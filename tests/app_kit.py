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
from ui.session_keys import TAB_BAR, UPLOADER

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


def upload(at, name, content, seconds=60):
    """Sends `content` as the upload `name`, then runs the page until its check has ended (the
    check runs off the page, in the server's queue, as `ui.upload_check` says).

    Returns:
        The page after its first run with the upload (still checking) and the last (done), as
        `(first_captions, at)`: the sidebar's captions then, to read the progress line.
    """
    import time

    at.sidebar.file_uploader(key=UPLOADER).set_value((name, content, "application/octet-stream"))
    at.run()
    first = [caption.value for caption in at.sidebar.caption]
    deadline = time.monotonic() + seconds
    while checking(at) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert not checking(at), f"the check of {name} did not end in {seconds} s"
    return first, at


def checking(at):
    """Whether the sidebar says an upload is being checked."""
    return any(caption.value.startswith(("Checking ", "Vérification de "))
               for caption in at.sidebar.caption)
