"""Time of Explore's report of a model over the 10,000 test images vs `model.predict`, same run.

    .venv/bin/python bench/eval_test_set.py [--models models/tutorial.keras models/strong.keras]

The product is what the page computes once per model (`ui/test_reports.py`): the traced
`Predictor` over the raw test images, prepared and read in batches of `EVALUATION_BATCH`, then
`make_report` (confusion, per digit, misread images sorted). The reference is Keras'
`model.predict(prepare_images(x_test), batch_size=EVALUATION_BATCH)` on the same images. Each
is timed once warm (a first batch traced beforehand), best of `--repeats`. Prints seconds,
accuracies and the ratio. Goal: ~2 s for the tutorial's model on 2 cores.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[str(ROOT / "models" / "tutorial.keras"),
                                                         str(ROOT / "models" / "strong.keras")])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from mnist_core import storage
    from mnist_core.data import load_data
    from mnist_core.evaluation import EVALUATION_BATCH, batched_probabilities, make_report
    from mnist_core.inference import Predictor
    from mnist_core.model import prepare_images

    (_, _), (x_test, y_test) = load_data()
    print(f"{os.cpu_count()} CPUs; batches of {EVALUATION_BATCH}")
    for path in args.models:
        model = storage.load_model(path).model
        predictor = Predictor(model)
        predictor.probabilities(prepare_images(x_test[:EVALUATION_BATCH]))  # trace
        model.predict(prepare_images(x_test[:EVALUATION_BATCH]), verbose=0)
        product, report = best_of(args.repeats, lambda: make_report(
            batched_probabilities(predictor.probabilities, x_test), y_test))
        reference, probabilities = best_of(args.repeats, lambda: model.predict(
            prepare_images(x_test), batch_size=EVALUATION_BATCH, verbose=0))
        reference_accuracy = float((probabilities.argmax(axis=1) == y_test).mean())
        print(f"{Path(path).name}: report {product:.2f} s (accuracy {report.accuracy:.4f}, "
              f"{len(report.misclassified())} misread); model.predict {reference:.2f} s "
              f"(accuracy {reference_accuracy:.4f}); ratio {product / reference:.2f}")


if __name__ == "__main__":
    main()
