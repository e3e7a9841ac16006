"""What changes on narrow screens (phones), where Streamlit stacks the columns.

On a 390-pixel phone the Draw view's answer would fall under the canvas, below the fold, so a
one-line answer sits above the canvas there; the canvas toolbar (shown on mouse hover, so
never on a touch screen) gives its room back; and a smaller title lets the canvas and its
Clear button fit on the first screen. Streamlit gives a keyed container the class st-key-KEY,
which is how this CSS finds the page's parts.
"""

import streamlit as st

NARROW_SCREEN_PX = 640
"""Streamlit stacks columns below this width (its own breakpoint)."""
PHONE_ANSWER = "phone_answer"  # container key: the one-line answer above the canvas
TOOLBAR_ROOM = "toolbar_room"  # container key: the room left above the canvas for its toolbar

CSS = f"""<style>
div.st-key-{PHONE_ANSWER} {{ display: none; }}
@media (max-width: {NARROW_SCREEN_PX}px) {{
  div.st-key-{PHONE_ANSWER} {{ display: flex; }}
  div.st-key-{PHONE_ANSWER} p {{ font-size: 1.25rem; }}
  div.st-key-{TOOLBAR_ROOM} {{ display: none; }}
  [data-testid="stMain"] h1 {{ font-size: 2rem; }}
}}
</style>"""


def narrow_screen_styles():
    """Adds the page's narrow-screen CSS (call once per full run; it takes no room)."""
    st.html(CSS)
