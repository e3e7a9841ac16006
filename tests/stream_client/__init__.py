"""A client of Streamlit's own websocket protocol: one `Visitor` is one browser tab's session.

Used by the protocol visitors' test and by bench/visitors.py --protocol; it costs a few
thousandths of a core per visitor where a headless Chromium costs a quarter of one.
"""

from tests.stream_client.drawing import canvas_value, png_data_url
from tests.stream_client.page import Page
from tests.stream_client.visitor import Answer, ProtocolError, Visitor

__all__ = ["Answer", "Page", "ProtocolError", "Visitor", "canvas_value", "png_data_url"]
