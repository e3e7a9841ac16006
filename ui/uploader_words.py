"""The model uploader's own words in the page's language.

Streamlit 1.67 writes its file uploader's button ("Upload") and limit line ("25MB per file •
KERAS, H5") in English whatever the page's language, and takes no parameter to change them
(streamlit/streamlit#13500). On a French page this CSS takes those words out of the page
(`display: none`) and draws the page's own after them, as generated content of the element that
held them: sighted visitors and screen readers alike get the French words only. (Generated
content on a hidden element itself is dropped from the accessibility tree: the button had no
name.) An English page keeps Streamlit's own words. Only the sidebar's uploader is meant.
"""

import streamlit as st

from ui.texts import text
from ui.visitor_upload import UPLOAD_TYPES

SIDEBAR = '[data-testid="stSidebar"] '
BUTTON_BOX = (SIDEBAR + '[data-testid="stFileUploaderDropzone"] button '
              '[data-testid="stMarkdownContainer"]')
LIMIT_BOX = SIDEBAR + '[data-testid="stFileUploaderDropzoneInstructions"] > div'
WORDS_PX = 14  # Streamlit's own size for both (0.875rem)


def uploader_words(language, limit_mb):
    """Puts the uploader's button and limit line in `language` (call once per full run).

    Args:
        language: 'en' or 'fr'.
        limit_mb: the server's upload limit in MB (`server.maxUploadSize`).
    """
    if language == "en":
        return
    types = ", ".join(kind.upper() for kind in UPLOAD_TYPES)
    button = _css_string(text(language, "upload_button"))
    limit = _css_string(text(language, "upload_limit", mb=limit_mb, types=types))
    st.html(f"""<style>
{BUTTON_BOX} > p, {LIMIT_BOX} > span {{ display: none; }}
{BUTTON_BOX}::after {{ content: {button}; font-size: {WORDS_PX}px; }}
{LIMIT_BOX}::after {{ content: {limit}; font-size: {WORDS_PX}px; }}
</style>""")


def _css_string(words):
    """`words` as a CSS string literal (quotes and backslashes escaped, no markup possible)."""
    escaped = words.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return f'"{escaped}"'
