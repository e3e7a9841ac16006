"""The model's 28x28 input as a picture that travels inside the answer itself.

`st.image` given an array encodes a PNG, stores it in Streamlit's media file manager (which also
forgets the previous stroke's) and sends a `/media/...` address that the browser then fetches
with an HTTP request of its own: all of it again at every stroke. A `data:` URL is sent as it is
(`st.image` returns such an address unchanged), so a stroke's picture costs one small PNG made
here and nothing more. Enlarged here by whole pixels, it stays crisp at any browser zoom.
"""

import base64
import io

import numpy as np
from PIL import Image

from mnist_core.reading.image_files import DATA_URL_PREFIX

FAST_PNG = 1
"""zlib level: a blocky 168x168 grey picture is ~1 KB at any level, and level 1 is the fastest."""


def picture_url(image, zoom):
    """Encodes a grey picture as a PNG `data:` URL, each pixel a `zoom` x `zoom` block.

    Args:
        image: float array of shape (height, width), 0 black to 1 white (clipped).
        zoom: int >= 1, how many screen pixels each of its pixels becomes on a side.

    Returns:
        str: `data:image/png;base64,...`, a picture of `zoom * height` by `zoom * width`.
    """
    levels = (np.clip(image, 0.0, 1.0) * 255).round().astype(np.uint8)
    big = np.repeat(np.repeat(levels, zoom, axis=0), zoom, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, format="PNG", compress_level=FAST_PNG)
    return DATA_URL_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")
