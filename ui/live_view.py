"""The Train view's live part: the learning curves (per batch and per epoch), and after every
epoch the grid of test digits with the model's answers, the first convolution's filters and,
for the visitor who started the training, what the model reads in their drawing.

Everything comes from the job's snapshot (`mnist_core.jobs.training_jobs`), which every page polls
once a second, so it stays light: two plain Vega-Lite specs (a couple of hundred points at most)
and two images, composed once per epoch for the whole server (`_pictures` is cached).
"""

import io

import numpy as np
import pyarrow as pa
import streamlit as st
from PIL import Image

from mnist_core.constants import IMAGE_SIZE
from mnist_core.jobs.drawing_command import decode_drawing
from mnist_core.jobs.epoch_pictures import answer_grid, filter_grid
from ui.numbers import chart_locale
from ui.texts import text

DRAWING_ZOOM = 6  # as the Draw view shows it (ui/draw.py's ZOOM)
CHART_HEIGHT = 340
"""The whole chart, its three-line legend included (the plot keeps ~200 pixels)."""
COLORS = {"batch": "#93c5fd", "train": "#1d4ed8", "val": "#f97316"}
SHORT_TRAINING = 2
CURVE_DATASETS = ("batches", "epochs")
"""The names of each chart's two datasets: the batch curve's points and the epochs'."""
"""Epochs up to which the axis has fractional ticks: one epoch's axis read "0" and "1" only."""


def learning_charts(language, state):
    """Accuracy and loss: the smoothed batch curve under the per-epoch training/validation ones.

    Plain Vega-Lite specs rather than Altair charts: the progress poll redraws them every second
    on every watching page, and Altair's conversion and schema validation cost ~12 ms a poll
    (bench/visitors.py).
    """
    history, curve = state.history, state.curve
    if not history.get("loss") and not curve:
        return
    left, right = st.columns(2)
    for column, title, metric, keys in (
            (left, "accuracy_chart", "accuracy",
             (("accuracy", "train_acc"), ("val_accuracy", "val_acc"))),
            (right, "loss_chart", "loss", (("loss", "train_loss"), ("val_loss", "val_loss")))):
        column.vega_lite_chart(curve_spec(language, title, metric, keys, history, curve,
                                          state.epochs), width="stretch")


def curve_spec(language, title, metric, keys, history, curve, epochs):
    """One chart's spec: a thin line for the batches, lines with points for the epochs.

    The points travel as named datasets (Arrow tables, `CURVE_DATASETS`) beside a spec that
    stays the same all through a training, so at each poll the browser puts the new points
    into the chart it has: with the points inline, every poll changed the spec, and the browser
    built both charts anew each second (a quarter of a core, which the training lost on a
    2-core server, issue 24)."""
    batch_label = text(language, f"batch_{metric}")
    labels = [batch_label, text(language, keys[0][1]), text(language, keys[1][1])]
    batches = [{"x": point["x"], "series": batch_label, "value": point[metric]}
               for point in curve if metric in point]
    per_epoch = [{"x": epoch, "series": text(language, label), "value": float(value)}
                 for key, label in keys for epoch, value in enumerate(history.get(key, []), 1)]
    x = epoch_axis(language, epochs, history, curve)
    y = {"field": "value", "type": "quantitative", "title": text(language, title),
         "scale": {"zero": False}}
    color = {"field": "series", "type": "nominal", "title": None,
             "scale": {"domain": labels, "range": list(COLORS.values())},
             "legend": {"orient": "bottom", "columns": 1, "labelLimit": 320}}
    encoding = {"x": x, "y": y, "color": color}
    batches_name, epochs_name = CURVE_DATASETS
    return chart_locale(language, {
        "height": CHART_HEIGHT,
        "datasets": {batches_name: _table(batches), epochs_name: _table(per_epoch)},
        "layer": [
            {"data": {"name": batches_name}, "encoding": encoding,
             "mark": {"type": "line", "strokeWidth": 1.5, "interpolate": "monotone", "clip": True}},
            {"data": {"name": epochs_name}, "encoding": encoding,
             "mark": {"type": "line", "point": True}},
        ],
    })


def _table(rows):
    """`rows` (dicts of x, series, value) as an Arrow table, typed even when empty."""
    return pa.table({"x": pa.array([row["x"] for row in rows], pa.float64()),
                     "series": pa.array([row["series"] for row in rows], pa.string()),
                     "value": pa.array([row["value"] for row in rows], pa.float64())})


def epoch_axis(language, epochs, history, curve):
    """The one x axis of both layers, in epochs: batch b of n in epoch e sits at e - 1 + b/n
    (`mnist_core.jobs.state.epochs_done`), epoch e's point at e, the end of its batches.

    It spans the whole training from 0, whatever has run yet, so neither layer is cut and the
    first batches start at the left. Short trainings get fractional ticks (0.2 epoch...),
    longer ones whole epochs.
    """
    last = max([1, epochs or 0, len(history.get("loss", []))]
               + [point["x"] for point in curve])
    axis = {"format": "~g"} if last <= SHORT_TRAINING else {"format": "d", "tickMinStep": 1}
    return {"field": "x", "type": "quantitative", "title": text(language, "epochs"),
            "axis": axis, "scale": {"domain": [0, last], "nice": False}}


def epoch_view(language, state, own):
    """The grid's answers and the filters of the latest epoch; the owner's drawing, read.

    Args:
        language: 'en' or 'fr'.
        state: a `JobState` snapshot.
        own: True on the page of the visitor who started this training: only they see what
            the model reads in their drawing (another's drawing is never shown).
    """
    latest, grid = state.latest, state.grid
    if not latest or not grid:
        return
    pictures = _pictures(state.job_id, latest["epoch"], grid, latest)
    st.markdown(f"**{text(language, 'epoch_view', epoch=latest['epoch'])}**")
    left, right = st.columns([3, 2], gap="medium")
    left.image(pictures["grid"], caption=text(language, "grid_caption", right=pictures["right"],
                                              count=pictures["count"]))
    with right:
        if pictures["filters"] is not None:
            st.image(pictures["filters"], caption=text(
                language, "filters_caption", count=pictures["filter_count"],
                size=pictures["filter_size"]))
        if own:
            _drawing_read(language, latest)


def _drawing_read(language, latest):
    read = latest.get("drawing")
    image = decode_drawing(read["image"]) if read else None
    if image is None:
        st.caption(text(language, "drawing_hint"))
        return
    probabilities = np.asarray(read["probabilities"], np.float32)
    digit = int(probabilities.argmax())
    zoomed = np.kron(image, np.ones((DRAWING_ZOOM, DRAWING_ZOOM), np.float32))
    st.image(zoomed, clamp=True, width=IMAGE_SIZE * DRAWING_ZOOM,
             caption=text(language, "drawing_read", digit=digit,
                          p=float(probabilities[digit])))


@st.cache_resource(show_spinner=False, max_entries=4)
def _pictures(job_id, epoch, _grid, _latest):
    """The epoch's two pictures as PNG bytes, composed once for every page of the server."""
    import base64

    images = np.frombuffer(base64.b64decode(_grid["images"]), np.uint8)
    images = images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    labels, answers = _grid["labels"], _latest["answers"]
    filters = _latest.get("filters")
    shape = np.shape(filters) if filters else None
    return {
        "grid": _png(answer_grid(images, labels, answers)),
        "right": sum(int(a) == int(b) for a, b in zip(answers, labels)), "count": len(labels),
        "filters": _png(filter_grid(filters)) if filters else None,
        "filter_count": shape[0] if shape else 0, "filter_size": shape[1] if shape else 0,
    }


def _png(picture):
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()
