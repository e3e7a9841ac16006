"""A running training's snapshot as the live view shows it, for the page tests."""

import base64
import json
import time

import numpy as np
import pyarrow as pa

from mnist_core.jobs.drawing_command import encode_drawing
from mnist_core.jobs.state import JobState
from tests.conftest import make_tiny_data

DRAWING = np.zeros((28, 28), np.float32)
DRAWING[6:8, 4:24] = 1.0


def live_state(owner, drawing=True):
    """Epoch 3 of 10 running, epoch 2's pictures: 32 grid digits, every 7th read wrong."""
    (_, _), (x, y) = make_tiny_data()
    now = time.time()
    read = {"image": encode_drawing(DRAWING), "probabilities": [0.01] * 2 + [0.91] + [0.01] * 7}
    return JobState(
        status="running", settings={"recipe": "tutorial", "epochs": 10, "batch_size": 64,
                                    "limit": None, "seed": 1},
        epoch=3, epochs=10, step=300, steps=938, started=now - 30, job_id=1, owner=owner,
        trained_since=now - 20, progressed=now, running={"loss": 0.1, "accuracy": 0.97},
        history={"loss": [0.3, 0.1], "accuracy": [0.9, 0.97], "val_loss": [0.2, 0.1],
                 "val_accuracy": [0.95, 0.98]},
        curve=[{"x": i / 10, "loss": 1 / (1 + i), "accuracy": 1 - 1 / (2 + i)}
               for i in range(1, 25)],
        grid={"images": base64.b64encode(x.tobytes()).decode(), "labels": [int(v) for v in y]},
        latest={"epoch": 2,
                "answers": [int(v) if i % 7 else (int(v) + 1) % 10 for i, v in enumerate(y)],
                "filters": np.random.default_rng(0).normal(size=(32, 3, 3)).round(3).tolist(),
                "drawing": read if drawing else None})


def chart_layers(chart):
    """A live chart element's spec and its layers' rows: each layer's named dataset, which the
    page sends as Arrow beside the spec (`ui.live_view.curve_spec`), as lists of dicts."""
    spec = json.loads(chart.proto.spec)
    tables = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist()
              for d in chart.proto.datasets}
    return spec, [tables[layer["data"]["name"]] for layer in spec["layer"]]
