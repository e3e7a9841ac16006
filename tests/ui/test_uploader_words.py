"""The uploader's words as CSS strings: whatever a translation holds, it stays one string."""

from ui.uploader_words import _css_string


def test_quotes_backslashes_and_markup_stay_inside_the_css_string():
    quoted = _css_string('a "b" \\ </style><script>')
    assert quoted == '"a \\"b\\" \\\\ \\3c /style>\\3c script>"'
    assert "<" not in quoted
