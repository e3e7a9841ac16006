"""Inside the network: under the Draw view's answer, what the CNN computed for this drawing.

A toggle, closed by default, so the ordinary stroke pays nothing for it; once open, one section at a
time (the preprocessing, the architecture, every layer's output, the first filters, the saliency),
so only what is on screen is drawn. One traced call (`mnist_core.explain.explainer`) gives every
layer's output and the saliency; what depends only on the model (the `Explainer`, its table, its
filter picture) is built once per model.
"""

import threading
import weakref

import numpy as np
import streamlit as st

from mnist_core.constants import NUM_CLASSES
from mnist_core.errors import ImageError
from mnist_core.explain import pictures as explain_plots
from mnist_core.explain.explainer import Explainer
from ui.not_digit_answer import shown_digit
from ui.numbers import whole
from ui.session_keys import INSIDE_ALL_MAPS, INSIDE_DIGIT, INSIDE_OPEN, INSIDE_SECTION
from ui.texts import text
from ui.widget_values import keep_choice

SECTIONS = ("preprocess", "architecture", "layers", "filters", "saliency")
DEFAULT_SECTION = "preprocess"
"""The first section: a short one (five small pictures), where every layer's output of a deep
model was ~8,600 pixels long."""
PICTURE_PX = 140  # width of each picture of a row (preprocessing): 2 a row on a phone
SALIENCY_PX = 240  # the saliency's pictures: its strokes legible at a glance, 1 a row on a phone
GRID_PX = 480  # width a layer's picture is shown at (narrower on a phone)
FILTER_ZOOM = 14  # a 3x3 filter as 42x42 pixels
FEW_MAPS = 8
"""Feature maps shown per layer at first: one row each, so the section stays a few screens long."""
MAX_MAPS = 64
"""Feature maps shown per layer when the visitor asks for all (the tutorial's widest layer has
64): an uploaded model may have thousands of filters per layer, and each stroke would send them
all."""
MAX_BARS = 2048
"""Units shown per dense layer (the tutorial's Flatten has 1,600)."""

VIEW = "inside_view"  # container key: its pictures are enlarged crisp, pixel by pixel
PIXELATED = (f"<style>div.st-key-{VIEW} img {{ image-rendering: pixelated; height: auto; }}"
             # A picture asked at GRID_PX wide shrinks to a phone's width instead of overflowing.
             f" div.st-key-{VIEW} [data-testid='stImage'],"
             f" div.st-key-{VIEW} [data-testid='stImage'] * {{ max-width: 100%; }}</style>")

_explainers = weakref.WeakKeyDictionary()  # Predictor -> (Explainer, table, filter picture)
_lock = threading.Lock()


def model_parts(predictor):
    """`(Explainer, layer table rows, filter picture or None)` for the predictor's model, built
    once per model (the page caches one Predictor per model) and dropped with it."""
    with _lock:
        parts = _explainers.get(predictor)
        if parts is None:
            explainer = Explainer(predictor.model)
            rows = [{"layer": f"{i.name} ({i.class_name})", "shape": str((None, *i.output_shape)),
                     "params": i.params} for i in explainer.layers]
            kernel = explainer.filters
            picture = (None if kernel is None
                       else explain_plots.filter_grid(kernel, tile_zoom=FILTER_ZOOM))
            parts = _explainers[predictor] = (explainer, rows, picture)
    return parts


def inside_toggle(language):
    """The view's toggle, drawn by the Draw view's full run, and the slot its content goes in.

    Outside the Draw view's fragment: a stroke's rerun does not send it again (open or closed),
    and switching it reruns the whole page, which then writes the view into the slot.

    Args:
        language: 'en' or 'fr'.

    Returns:
        The (empty) container the Draw view's fragment writes the view into while it is open.
    """
    st.toggle(text(language, "inside_toggle"), key=INSIDE_OPEN,
              help=text(language, "inside_toggle_help"))
    return st.container()


def inside_view(language, predictor, pixels, reading):
    """The chosen section for the digit just read (the Draw view calls it while the toggle of
    `inside_toggle` is on).

    Args:
        language: 'en' or 'fr'.
        predictor: the page's `mnist_core.reading.inference.Predictor` for the selected model.
        pixels: the canvas as the Draw view read it (`ui.canvas.reading_pixels`), uint8
            (H, W), for the preprocessing pictures; None when there is none.
        reading: the `NumberPrediction` the Draw view showed, or None (nothing is drawn).
    """
    # The section chooser is drawn even on an empty canvas: a widget missing from a run loses
    # its state, and Clear would reset the section.
    with st.container(key=VIEW):
        _view(language, predictor, pixels, reading)


def _view(language, predictor, pixels, reading):
    # No default of its own: the choice is re-stated at each run (its labels follow the
    # language), and a default beside a value set through st.session_state makes Streamlit warn.
    if keep_choice(INSIDE_SECTION, SECTIONS) is None and INSIDE_SECTION not in st.session_state:
        st.session_state[INSIDE_SECTION] = DEFAULT_SECTION
    section = st.segmented_control(
        text(language, "inside_section"), SECTIONS,
        key=INSIDE_SECTION, format_func=lambda name: text(language, f"inside_{name}"),
        label_visibility="collapsed")
    section = section or DEFAULT_SECTION  # a second click on the open section unselects it
    if reading is None or not reading.digits:
        return
    st.html(PIXELATED)
    digits = reading.digits
    index = 0
    if len(digits) > 1:
        index = st.radio(text(language, "inside_which"), range(len(digits)), horizontal=True,
                         key=INSIDE_DIGIT, format_func=lambda i: f"{i + 1}: {shown_digit(digits[i])}")
        index = min(index or 0, len(digits) - 1)
    explainer, rows, filters = model_parts(predictor)
    st.caption(text(language, f"inside_{section}_about"))
    if section == "architecture":
        # A plain table (HTML): the data grid draws on a canvas, blank in some browsers.
        st.table([{text(language, "inside_col_layer"): row["layer"],
                   text(language, "inside_col_shape"): row["shape"],
                   text(language, "inside_col_params"): whole(language, row["params"])}
                  for row in rows])
        st.markdown(text(language, "inside_total", total=whole(language, explainer.total_params)))
    elif section == "filters":
        if filters is None:
            st.info(text(language, "inside_no_conv"))
        else:
            st.image(filters, caption=text(language, "inside_filters_caption",
                                           n=explainer.filters.shape[3]), clamp=True)
    elif section == "preprocess":
        _preprocess(language, predictor, pixels, digits[index], len(digits) > 1)
    else:
        seen = explainer.explain(digits[index].image)
        if section == "layers":
            widest = max((o.shape[-1] for o in seen.outputs if o.ndim == 3), default=0)
            every = widest > FEW_MAPS and st.toggle(
                text(language, "inside_all_maps", count=min(widest, MAX_MAPS)),
                key=INSIDE_ALL_MAPS)
            _layers(language, explainer, seen, MAX_MAPS if every else FEW_MAPS)
        else:
            _saliency(language, seen)


def _bytes(picture):
    """float [0, 1] -> uint8, which Streamlit encodes as it is (a float array it converts first)."""
    return np.rint(np.clip(picture, 0.0, 1.0) * 255).astype(np.uint8)


def _preprocess(language, predictor, pixels, prediction, several):
    if several:  # each digit was cut out of the drawing first: its own steps are not kept
        st.image(_fitted_picture(prediction.image), width=PICTURE_PX,
                 caption=_centred_caption(language, prediction))
        st.caption(text(language, "inside_number_note"))
        return
    from mnist_core.explain.stages import preprocessing_stages

    try:
        stages = preprocessing_stages(pixels)
    except ImageError:  # not expected: the Draw view has just read digits in these pixels
        return
    naive = predictor.predict_prepared(stages.naive)
    pictures = [stages.ink, stages.crop, stages.fitted, stages.centred, stages.naive]
    captions = [text(language, "inside_stage_ink"), text(language, "inside_stage_crop"),
                text(language, "inside_stage_fit"),
                _centred_caption(language, prediction),
                text(language, "inside_stage_naive", digit=naive.digit, p=naive.confidence)]
    # A list of images wraps onto as many rows as the screen needs.
    st.image([_fitted_picture(p) for p in pictures], caption=captions, width=PICTURE_PX)


def _centred_caption(language, prediction):
    """What the model read in the centred image: its digit, or no digit (its guess)."""
    key = "inside_stage_centred_not" if prediction.not_a_digit else "inside_stage_centred"
    return text(language, key, digit=prediction.digit)


def _fitted_picture(image):
    """Any picture made square and about PICTURE_PX a side: a narrow one (the crop) padded in
    dark grey, so its box shows; zoomed up in whole pixels, or subsampled down (the drawing
    itself); framed in mid-grey, so white ink at its edge still shows."""
    h, w = image.shape[:2]
    side = max(h, w)
    rest = [(0, 0)] * (image.ndim - 2)
    top, left = (side - h) // 2, (side - w) // 2
    image = np.pad(image, [(top, side - h - top), (left, side - w - left)] + rest,
                   constant_values=0.25)
    if side > PICTURE_PX:  # the drawing itself: a quarter of its pixels is plenty to see
        image = image[::-(-side // PICTURE_PX), ::-(-side // PICTURE_PX)]
    return _bytes(np.pad(image, [(1, 1), (1, 1)] + rest, constant_values=0.5))


def _layers(language, explainer, seen, maps):
    last = len(seen.outputs) - 1
    for k, (info, output) in enumerate(zip(explainer.layers, seen.outputs)):
        caption = text(language, "inside_layer", name=info.name, kind=info.class_name,
                       shape=" × ".join(whole(language, n) for n in info.output_shape),
                       params=whole(language, info.params))
        count = output.shape[-1] if output.ndim == 3 else output.size
        limit = maps if output.ndim == 3 else MAX_BARS
        if count > limit:
            caption += " · " + text(language, "inside_first", shown=limit,
                                    count=whole(language, count))
        if output.ndim == 3:
            picture = layer_picture(output, limit)
        else:  # bars in pixels: a chart per dense layer took the browser ~100 ms each stroke
            digits = k == last and output.size == NUM_CLASSES  # the answer: bars 0 to 9
            picture = explain_plots.bars_picture(
                output.reshape(-1)[:MAX_BARS], labels=range(NUM_CLASSES) if digits else None)
            caption += " · " + text(language, "inside_bars_digits") if digits else ""
        st.image(_bytes(picture), caption=caption, width=GRID_PX)


def layer_picture(maps, limit=MAX_MAPS):
    """The first `limit` feature maps (h, w, n) of a layer as one grid, one pixel per value:
    the browser enlarges it (crisp, see `PIXELATED`), so each stroke encodes a quarter of the
    pixels a zoomed copy would have."""
    return explain_plots.tile_grid(maps[:, :, :limit])


def _saliency(language, seen):
    pictures = [seen.image, explain_plots.heat_map(seen.saliency),
                explain_plots.overlay(seen.image, seen.saliency)]
    captions = [text(language, "inside_sal_input"), text(language, "inside_sal_map"),
                text(language, "inside_sal_overlay", digit=seen.digit)]
    # Each 28x28 picture zoomed in whole pixels to about SALIENCY_PX: big enough to read, and
    # crisp however the browser scales it (see `PIXELATED`).
    zoom = max(1, SALIENCY_PX // seen.image.shape[0])
    st.image([_bytes(explain_plots.zoom(p, zoom)) for p in pictures], caption=captions,
             width=SALIENCY_PX)
    if float(seen.saliency.max()) == 0.0:
        st.caption(text(language, "inside_sal_empty"))
        return
    st.image(_bytes(explain_plots.colour_bar()), width=SALIENCY_PX)
    st.caption(text(language, "inside_sal_scale", digit=seen.digit))
