"""Pictures of what the network sees: tiled feature maps and filters, saliency overlays, figures.

The tiling and colouring functions are pure numpy, so the page sends them as small images on
every stroke; the four `*_figure` functions build the matplotlib `Figure`s that
`python -m mnist_core explain` saves as PNG (see `plots.save_png`).
"""

import numpy as np
from matplotlib.figure import Figure

GAP = 1
"""Pixels of background between two tiles of a grid."""

GRID_COLUMNS = 8
"""Feature maps or filters per row of a grid: 32 maps make 4 rows, 64 make 8."""

SALIENCY_COLOURMAP = "inferno"
"""The saliency's colours, dark to bright: black, purple, red, orange, yellow, near white."""
SALIENCY_GAMMA = 0.5
"""The saliency is shown as its square root: integrated gradients put most of the credit on a few
pixels, and on a linear scale the rest of the strokes that helped stayed near black."""

BAR_LABEL_PX = 18
BAR_LABEL_FONT = 14
"""Height of the strip of labels under a bar chart (the last layer's digits 0-9), its font size."""
BAR_GREY = np.float32(0.2)
BARS_PX = 64
BARS_WIDTH = 480
"""Grey level, height and about the width of a bitmap bar chart of activations (one
channel: a third of the pixels to encode on every stroke)."""

POSITIVE = np.array([0.84, 0.1, 0.1], np.float32)
NEGATIVE = np.array([0.1, 0.3, 0.85], np.float32)
"""Colours of the largest positive and negative filter weights (white is 0)."""


def scaled(array):
    """Any float array -> float32 in [0, 1], its minimum at 0 and maximum at 1 (zeros if flat)."""
    a = np.asarray(array, dtype=np.float32)
    low, high = float(a.min()), float(a.max())
    return (a - low) / (high - low) if high > low else np.zeros_like(a)


def tile_grid(maps, columns=GRID_COLUMNS, per_tile=True):
    """Lays out the channels of `maps` (h, w, n) as one grey image, `columns` tiles per row.

    Args:
        maps: float array (h, w, n): n feature maps, or n filters of one input channel.
        columns: tiles per row (fewer when n is smaller).
        per_tile: scale each tile to its own [0, 1] range (feature maps: where each one is
            strongest); otherwise one range for all (filters: compare weights between tiles).

    Returns:
        float32 array (rows * (h + GAP) - GAP, columns * (w + GAP) - GAP) in [0, 1]; the
        gaps are 0.5 grey so a black map stays visible as a tile.
    """
    maps = np.asarray(maps, dtype=np.float32)
    h, w, n = maps.shape
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    if per_tile:  # each map to its own [0, 1]; a flat map to 0
        low, high = maps.min(axis=(0, 1)), maps.max(axis=(0, 1))
        span = np.where(high > low, high - low, 1.0)
        tiles = np.where(high > low, (maps - low) / span, 0.0)
    else:
        tiles = scaled(maps)
    # One array operation, not a loop over tiles (64 maps x 16 layers on every stroke): pad
    # each tile with its gap, lay the tiles out as (rows, columns), then interleave the axes.
    padded = np.full((h + GAP, w + GAP, rows * columns), 0.5, np.float32)
    padded[:h, :w, :n] = tiles
    padded = padded.reshape(h + GAP, w + GAP, rows, columns).transpose(2, 0, 3, 1)
    return padded.reshape(rows * (h + GAP), columns * (w + GAP))[:-GAP, :-GAP]


def filter_grid(kernel, columns=GRID_COLUMNS, tile_zoom=1):
    """The first convolution's filters (k, k, channels, n) as one RGB image, one shared scale.

    Several input channels are averaged (an MNIST model has one). White is a weight of 0,
    red a positive weight (the filter answers ink there), blue a negative one (it answers
    background there), as strong as the largest weight of all filters; the gaps are black.

    Args:
        kernel: float array (k, k, channels, n).
        columns: filters per row.
        tile_zoom: each weight as a tile_zoom x tile_zoom block; the gaps stay `GAP` wide.

    Returns:
        float32 RGB array (rows * (z + GAP) - GAP, columns * (z + GAP) - GAP, 3) in [0, 1],
        z = k * tile_zoom.
    """
    kernel = np.asarray(kernel, dtype=np.float32).mean(axis=2)
    kernel = zoom(kernel, tile_zoom) if tile_zoom > 1 else kernel
    bound = float(np.abs(kernel).max()) or 1.0
    h, w, n = kernel.shape
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    signed = np.full((rows * (h + GAP) - GAP, columns * (w + GAP) - GAP), np.nan, np.float32)
    for k in range(n):
        r, c = divmod(k, columns)
        top, left = r * (h + GAP), c * (w + GAP)
        signed[top:top + h, left:left + w] = kernel[:, :, k] / bound
    strength = np.abs(np.nan_to_num(signed))[:, :, None]
    colour = np.where(np.nan_to_num(signed)[:, :, None] >= 0, POSITIVE, NEGATIVE)
    rgb = (1 - strength) + strength * colour
    rgb[np.isnan(signed)] = 0.0
    return rgb.astype(np.float32)


def bars_picture(values, width=BARS_WIDTH, labels=None):
    """Activations as a bar chart drawn in pixels: one column per unit, dark grey on white.

    A bitmap, not a chart spec: a browser shows it at once, where a chart library would lay
    out hundreds of bars on every stroke. Negative values (a batch normalisation's output)
    hang below a grey zero line.

    Args:
        values: float array (n,).
        width: about how wide the picture is: each unit gets `width // n` columns, at least 1.
        labels: None, or n short strings written under the bars (the last layer's "0" to "9"),
            in a `BAR_LABEL_PX` strip; a label is centred under its bar.

    Returns:
        float32 grey array (height, n * columns) in [0, 1], `BARS_PX` pixels high for
        `BARS_WIDTH` wide, in proportion: shown at any width, it keeps its shape; the labels'
        strip adds `BAR_LABEL_PX` rows.
    """
    values = np.asarray(values, np.float32).reshape(-1)
    columns = max(1, width // max(1, len(values)))
    height = max(8, round(len(values) * columns * BARS_PX / BARS_WIDTH))
    top, bottom = max(float(values.max()), 0.0), min(float(values.min()), 0.0)
    span = (top - bottom) or 1.0
    zero = int(round((top / span) * (height - 1)))  # the row of value 0
    rows = np.arange(height)[:, None]
    level = np.rint((top - values) / span * (height - 1)).astype(int)[None, :]
    filled = ((rows >= level) & (rows <= zero)) | ((rows <= level) & (rows >= zero))
    picture = np.where(filled, BAR_GREY, np.float32(1.0)).astype(np.float32)
    picture[zero] = np.where(filled[zero], BAR_GREY, np.float32(0.6))
    picture = np.repeat(picture, columns, axis=1)
    return picture if labels is None else np.vstack([picture, _label_strip(labels, columns)])


def _label_strip(labels, columns):
    """White rows with each label centred under its `columns`-wide bar, in dark grey."""
    from PIL import Image, ImageDraw, ImageFont

    strip = Image.new("L", (len(labels) * columns, BAR_LABEL_PX), 255)
    draw = ImageDraw.Draw(strip)
    font = ImageFont.load_default(size=BAR_LABEL_FONT)
    for k, label in enumerate(labels):
        centre = k * columns + columns / 2
        draw.text((centre, BAR_LABEL_PX / 2), str(label), fill=int(BAR_GREY * 255), font=font,
                  anchor="mm")
    return np.asarray(strip, np.float32) / 255.0


def heat_map(saliency):
    """The saliency in colour, on its own scale: its strongest pixel is the brightest colour.

    Args:
        saliency: float (h, w), >= 0 (values below 0 count as 0).

    Returns:
        float32 RGB (h, w, 3) in [0, 1]: `SALIENCY_COLOURMAP` of (saliency / its max) **
        `SALIENCY_GAMMA`; black where it is 0 (all black when it is all 0).
    """
    return _colours(_strength(saliency))


def colour_bar(width=BARS_WIDTH // 2, height=12):
    """The saliency's colours from none (left) to the most (right), as an RGB strip to show
    beside its map: float32 (height, width, 3) in [0, 1]."""
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    return _colours(ramp)


def _strength(saliency):
    """Saliency -> [0, 1] on its own scale, gamma applied (see `SALIENCY_GAMMA`)."""
    s = np.clip(np.asarray(saliency, np.float32), 0.0, None)
    top = float(s.max())
    return (s / top) ** SALIENCY_GAMMA if top > 0 else np.zeros_like(s)


def _colours(strength):
    from matplotlib import colormaps

    return colormaps[SALIENCY_COLOURMAP](strength)[..., :3].astype(np.float32)


def overlay(image, saliency):
    """The grey 28x28 input with the saliency painted over it in its colours (`heat_map`).

    Args:
        image: float (28, 28) in [0, 1].
        saliency: float (28, 28), >= 0, on any scale (its own max is the strongest).

    Returns:
        float32 RGB (28, 28, 3) in [0, 1]: the input dimmed to half, covered by the heat
        map's colour as much as the saliency is strong there.
    """
    grey = np.repeat(np.asarray(image, np.float32)[:, :, None] * 0.5, 3, axis=2)
    alpha = _strength(saliency)[:, :, None]
    return (grey * (1 - alpha) + heat_map(saliency) * alpha).clip(0.0, 1.0)


def zoom(image, factor):
    """Each pixel as a factor x factor block, so a browser shows it crisp, not blurred."""
    image = np.asarray(image, np.float32)
    block = np.ones((factor, factor) + (1,) * (image.ndim - 2), np.float32)
    return np.kron(image, block)


def preprocess_figure(stages, digit, naive_digit):
    """The preprocessing steps side by side, with the answer for the centred and naive inputs.

    Args:
        stages: a `stages.Stages`.
        digit: the model's answer for `stages.centred`.
        naive_digit: its answer for `stages.naive`.
    """
    panels = [(stages.ink, "Ink as drawn"), (stages.crop, "Cropped"),
              (stages.fitted, "Fitted in 20x20"),
              (stages.centred, f"Centred in 28x28: {digit}"),
              (stages.naive, f"Naive downscale: {naive_digit}")]
    figure = Figure(figsize=(12, 3), layout="constrained")
    for axes, (image, title) in zip(figure.subplots(1, len(panels)), panels):
        axes.imshow(image, cmap="gray", vmin=0, vmax=1)
        axes.set_title(title)
        _framed(axes)
    return figure


def layers_figure(explainer, explanation):
    """Every layer's output: feature maps as grids, dense activations (probabilities) as bars."""
    rows = len(explainer.layers)
    figure = Figure(figsize=(8, 2.2 * rows), layout="constrained")
    for axes, info, output in zip(np.atleast_1d(figure.subplots(rows, 1)), explainer.layers,
                                  explanation.outputs):
        title = f"{info.name} ({info.class_name}) {info.output_shape}"
        if output.ndim == 3:
            axes.imshow(tile_grid(output, columns=16), cmap="gray", vmin=0, vmax=1)
            axes.axis("off")
        else:
            values = output.reshape(-1)
            axes.bar(np.arange(len(values)), values, width=1.0, color="tab:blue")
            axes.set_xlim(-0.5, len(values) - 0.5)
            if len(values) <= 10:
                axes.set_xticks(range(len(values)))
        axes.set_title(title, fontsize=9)
    return figure


def filters_figure(kernel):
    """The first convolution's filters as a grid (shared scale: white positive, black negative)."""
    figure = Figure(figsize=(6, 3.5), layout="constrained")
    axes = figure.subplots()
    if kernel is None:
        axes.text(0.5, 0.5, "This model has no convolution.", ha="center", va="center")
    else:
        axes.imshow(filter_grid(kernel))
        axes.set_title(f"First convolution: {kernel.shape[3]} filters of "
                       f"{kernel.shape[0]}x{kernel.shape[1]} (red +, blue -)")
    axes.axis("off")
    return figure


def saliency_figure(explanation):
    """The input, its saliency map and the two overlaid, titled with the answer."""
    figure = Figure(figsize=(9, 3.4), layout="constrained")
    panels = [(explanation.image, "Input (28x28)", "gray"),
              (explanation.saliency, "Saliency (integrated gradients)", "inferno"),
              (overlay(explanation.image, explanation.saliency), "Overlaid", None)]
    for axes, (image, title, cmap) in zip(figure.subplots(1, 3), panels):
        axes.imshow(image, cmap=cmap, vmin=0, vmax=1)
        axes.set_title(title)
        _framed(axes)
    figure.suptitle(f"What pushed the model towards {explanation.digit} "
                    f"({explanation.probabilities[explanation.digit]:.1%})")
    return figure


def _framed(axes):
    """No ticks, but the frame kept: white ink at an image's edge stays visible on white."""
    axes.set_xticks([])
    axes.set_yticks([])
