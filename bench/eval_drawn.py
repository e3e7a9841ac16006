"""Accuracy on drawn digits: the naive whole-canvas downscale against MNIST-style preprocessing.

Builds the reproducible drawn set (`mnist_core.drawn_digits`) from MNIST's test split, prepares
every drawing both ways, and prints the model's accuracy side by side, overall, per colour
scheme and per origin (re-drawn MNIST digit or stroked template).

    python bench/eval_drawn.py --model models/tutorial.keras --n 1000 --seed 0
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any folder

import numpy as np  # noqa: E402

import mnist_core  # noqa: E402,F401  (quietens TensorFlow before it loads)
from mnist_core.data import load_data  # noqa: E402
from mnist_core.drawn_digits import make_drawn_digits, origin_of, scheme_of  # noqa: E402
from mnist_core.preprocess import naive_downscale, to_mnist_input  # noqa: E402

PREPARATIONS = {"naive": naive_downscale, "mnist_style": to_mnist_input}


def evaluate(model, images, labels, groups, batch_size=256):
    """Accuracy of `model` on `images` under each preparation, overall and per group.

    Args:
        model: a Keras model taking float32 (N, 28, 28, 1) in [0, 1], returning (N, 10).
        images: list of drawings (any shape `to_mnist_input` accepts).
        labels: int array (N,), the true digits.
        groups: dict of name -> list of N group names (e.g. {"scheme": [...]}).
        batch_size: images per forward pass.

    Returns:
        dict with, per preparation name, {"all": accuracy, group value: accuracy, ...} and
        "ms_per_image" (preparation time), plus "counts": {group value: images}.
    """
    labels = np.asarray(labels)
    result, counts = {}, {"all": len(labels)}
    for values in groups.values():
        for value in values:
            counts[value] = counts.get(value, 0) + 1
    for name, prepare in PREPARATIONS.items():
        start = time.perf_counter()
        x = np.stack([prepare(image) for image in images])[..., None]
        seconds = time.perf_counter() - start
        predicted = np.argmax(model.predict(x, batch_size=batch_size, verbose=0), axis=1)
        right = predicted == labels
        scores = {"all": float(right.mean())}
        for values in groups.values():
            values = np.asarray(values)
            for value in dict.fromkeys(values):
                scores[str(value)] = float(right[values == value].mean())
        scores["ms_per_image"] = 1000 * seconds / len(images)
        result[name] = scores
    result["counts"] = counts
    return result


def format_table(result):
    """The result of `evaluate` as aligned text lines, one per group."""
    names = list(PREPARATIONS)
    lines = [f"{'images':<16}{'count':>7}" + "".join(f"{n:>14}" for n in names)]
    for group, count in result["counts"].items():
        cells = "".join(f"{100 * result[n][group]:>13.1f}%" for n in names)
        lines.append(f"{group:<16}{count:>7}{cells}")
    times = "".join(f"{result[n]['ms_per_image']:>14.2f}" for n in names)
    lines.append(f"{'ms per image':<23}{times}")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/tutorial.keras",
                        help="Keras model file (default: %(default)s)")
    parser.add_argument("--n", type=int, default=1000,
                        help="drawn images (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the drawn set (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of a table")
    args = parser.parse_args(argv)

    from mnist_core import storage

    (_, _), (x_test, y_test) = load_data()
    images, labels = make_drawn_digits(args.n, args.seed, source=(x_test, y_test))
    groups = {"scheme": [scheme_of(i) for i in range(args.n)],
              "origin": [origin_of(i) for i in range(args.n)]}
    model = storage.load_model(args.model).model
    result = evaluate(model, images, labels, groups)
    if args.json:
        print(json.dumps({"model": args.model, "n": args.n, "seed": args.seed, **result}, indent=2))
    else:
        print(f"Drawn digits: {args.n} images, seed {args.seed}, model {args.model}")
        print("\n".join(format_table(result)))


if __name__ == "__main__":
    main()
