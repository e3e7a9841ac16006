"""Latency of one drawing through the app's path vs `model.predict`, same run, same drawings.

    .venv/bin/python bench/predict_latency.py [--model models/tutorial.keras] [--n 1000]

The app's path is `Predictor.predict(canvas_rgba)`: MNIST-style preprocessing of a 280x280 RGBA
canvas plus the traced model. The reference is the tutorial's `model.predict(x, verbose=0)` on the
same drawings, already preprocessed (so the reference does less work). Prints p50 and p99 of each
and the ratio of the p50s. Goal: app p50 <= 5 ms.

Then the Draw view's "Inside the network" (issue 11) on the same drawings: the preprocessing
steps (`preprocessing_stages`), one `Explainer.explain` call (every layer's output and the
saliency) and every picture the page makes of them (feature-map grids, saliency overlays),
all of it for every stroke, although the page draws only the open section. Goal: p50 <= 20 ms.

And the cost of the "not a digit" gate (issue 21): the app's path without it (`gate=None`) on
the same drawings, interleaved with the path with it.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def percentiles(seconds):
    ms = np.asarray(seconds) * 1000
    return np.percentile(ms, 50), np.percentile(ms, 99)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "models" / "tutorial.keras"))
    parser.add_argument("--n", type=int, default=1000, help="drawings")
    parser.add_argument("--reference-n", type=int, default=200,
                        help="drawings for the (slow) model.predict reference")
    args = parser.parse_args()

    from mnist_core.data.mnist import load_data
    from mnist_core.data.drawn_digits import make_drawn_digits
    from mnist_core.reading.inference import Predictor
    from mnist_core.untrusted.checked_load import load_model
    from mnist_core.reading.preprocess import to_mnist_input
    from mnist_core.explain.stages import preprocessing_stages

    (_, _), (x_test, y_test) = load_data()
    drawings, labels = make_drawn_digits(n=args.n, seed=0, source=(x_test, y_test))
    model = load_model(args.model).model
    predictor = Predictor(model)
    for drawing in drawings[:20]:  # warm-up: tracing, allocator, caches
        predictor.predict(drawing)
        model.predict(to_mnist_input(drawing)[None, ..., None], verbose=0)

    ungated = Predictor(model, gate=None)
    app, without_gate, correct = [], [], 0
    for drawing, label in zip(drawings, labels):
        started = time.perf_counter()
        digit = predictor.predict(drawing).digit
        app.append(time.perf_counter() - started)
        correct += digit == label
        started = time.perf_counter()
        ungated.predict(drawing)
        without_gate.append(time.perf_counter() - started)
    prepared = [to_mnist_input(d)[None, ..., None] for d in drawings[:args.reference_n]]
    reference = []
    for x in prepared:
        started = time.perf_counter()
        model.predict(x, verbose=0)
        reference.append(time.perf_counter() - started)

    inside = inside_latency(model, drawings, preprocessing_stages)
    bare_p50, _ = percentiles(without_gate)

    app_p50, app_p99 = percentiles(app)
    ref_p50, ref_p99 = percentiles(reference)
    print(f"Prediction latency, {os.cpu_count()} CPU cores, model {Path(args.model).name}:")
    print(f"  app path (preprocess + traced model), {len(app)} drawings: "
          f"p50 {app_p50:.2f} ms, p99 {app_p99:.2f} ms  (accuracy on them {correct / len(app):.3f})")
    print(f"  the same path without the not-a-digit gate: p50 {bare_p50:.2f} ms; the gate adds "
          f"{app_p50 - bare_p50:.2f} ms (x{app_p50 / bare_p50:.2f})")
    print(f"  model.predict (already preprocessed), {len(reference)} drawings: "
          f"p50 {ref_p50:.2f} ms, p99 {ref_p99:.2f} ms")
    print(f"  app p50 / model.predict p50: {app_p50 / ref_p50:.3f}   goal app p50 <= 5 ms: "
          f"{'met' if app_p50 <= 5 else 'NOT met'}")
    in_p50, in_p99 = percentiles(inside)
    print(f"  inside view (steps + explain + pictures), {len(inside)} drawings: "
          f"p50 {in_p50:.2f} ms, p99 {in_p99:.2f} ms;  inside p50 / app p50: {in_p50 / app_p50:.2f}"
          f"   goal inside p50 <= 20 ms: {'met' if in_p50 <= 20 else 'NOT met'}")


def inside_latency(model, drawings, preprocessing_stages):
    """Seconds per drawing for everything the inside view can show of it (all sections)."""
    from mnist_core.explain import pictures as explain_plots
    from mnist_core.explain.explainer import Explainer

    explainer = Explainer(model)

    def everything(drawing):
        stages = preprocessing_stages(drawing)
        seen = explainer.explain(stages.centred)
        for output in seen.outputs:
            if output.ndim == 3:
                explain_plots.tile_grid(output)
        explain_plots.overlay(seen.image, seen.saliency)
        return seen

    for drawing in drawings[:20]:  # warm-up: tracing
        everything(drawing)
    seconds = []
    for drawing in drawings:
        started = time.perf_counter()
        everything(drawing)
        seconds.append(time.perf_counter() - started)
    return seconds


if __name__ == "__main__":
    main()
