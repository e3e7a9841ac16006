"""Time of Explore's report of a model over the 10,000 test images vs `model.predict`, same run.

    .venv/bin/python bench/eval_test_set.py [--models models/tutorial.keras models/strong.keras]

The product is what the page computes once per model (`ui/test_reports.py`): the traced
`Predictor` over the raw test images, prepared and read in batches of `EVALUATION_BATCH`, then
`make_report` (confusion, per digit, misread images sorted): `evaluation.report_of`. The
reference is Keras'
`model.predict(prepare_images(x_test), batch_size=EVALUATION_BATCH)` on the same images. Each
is timed once warm (a first batch traced beforehand), best of `--repeats`. Prints seconds,
accuracies and the ratio. Goal: ~2 s for the tutorial's model on 2 cores.

Two more figures per model: the floor this CPU sets (the model's multiply-adds for 10,000
images, counted from its Conv2D and Dense layers, over the float32 rate of a 2048x2048 matrix
product measured in the same run), and the time to read the report back from the disk store
(`mnist_core.evaluation.report_store`), which is what a page waits for once a model's report is stored.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def best_of(repeats, work):
    times, value = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        value = work()
        times.append(time.perf_counter() - started)
    return min(times), value


def matmul_gflops(size=2048, repeats=5):
    """float32 GFLOP/s of this CPU on one large matrix product (TensorFlow, all cores)."""
    import tensorflow as tf

    a = tf.random.normal([size, size])
    product = tf.function(lambda m: tf.matmul(m, m))
    product(a).numpy()
    seconds, _ = best_of(repeats, lambda: product(a).numpy())
    return 2 * size ** 3 / seconds / 1e9


def gflop_per_image(model):
    """Multiply-adds x 2 of one image through the model's Conv2D and Dense layers, in GFLOP."""
    total = 0
    for layer in model.layers:
        kind = layer.__class__.__name__
        if kind == "Conv2D":
            _, h, w, out = layer.output.shape
            kh, kw, inputs, _ = layer.kernel.shape
            total += 2 * h * w * out * kh * kw * inputs
        elif kind == "Dense":
            total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
    return total / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[str(ROOT / "models" / "tutorial.keras"),
                                                         str(ROOT / "models" / "strong.keras")])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from mnist_core.data.mnist import load_data
    from mnist_core.evaluation.test_report import EVALUATION_BATCH, report_of
    from mnist_core.reading.inference import Predictor
    from mnist_core.training.model import prepare_images

    from mnist_core.evaluation import report_store
    from mnist_core.untrusted.checked_load import load_model

    (_, _), (x_test, y_test) = load_data()
    rate = matmul_gflops()
    print(f"{os.cpu_count()} CPUs; batches of {EVALUATION_BATCH}; float32 matmul {rate:.0f} GFLOP/s")
    for path in args.models:
        loaded = load_model(path)
        model = loaded.model
        predictor = Predictor(model)
        predictor.probabilities(prepare_images(x_test[:EVALUATION_BATCH]))  # trace
        model.predict(prepare_images(x_test[:EVALUATION_BATCH]), verbose=0)
        product, report = best_of(args.repeats, lambda: report_of(
            predictor.probabilities, x_test, y_test))
        reference, probabilities = best_of(args.repeats, lambda: model.predict(
            prepare_images(x_test), batch_size=EVALUATION_BATCH, verbose=0))
        reference_accuracy = float((probabilities.argmax(axis=1) == y_test).mean())
        print(f"{Path(path).name}: report {product:.2f} s (accuracy {report.accuracy:.4f}, "
              f"{len(report.misclassified())} misread); model.predict {reference:.2f} s "
              f"(accuracy {reference_accuracy:.4f}); ratio {product / reference:.2f}")
        work = gflop_per_image(model) * len(x_test)
        read, stored = best_of(args.repeats, lambda: report_store.load_report(
            path, y_test, loaded.digest))
        print(f"  {work:.0f} GFLOP for {len(x_test):,} images: at least {work / rate:.2f} s at "
              f"the matmul rate (the report runs at "
              f"{work / product:.0f} GFLOP/s); stored report read back in {read * 1000:.0f} ms"
              + ("" if stored is not None else " (none stored: `python -m mnist_core reports`)"))


if __name__ == "__main__":
    main()
