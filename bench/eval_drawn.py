"""Accuracy on every evaluation set: naive whole-canvas downscale against MNIST-style input.

Builds the reproducible evaluation sets, prepares every drawing both ways, and prints each
model's accuracy side by side, overall and per group:
- `drawn`: MNIST test digits re-drawn as on a canvas, and stroked templates
  (`mnist_core.data.drawn_digits`), per colour scheme and per origin;
- `european`: digits in European forms (`mnist_core.data.european_digits`), never trained on, per
  colour scheme, per kind of form and per digit.

    python bench/eval_drawn.py --model models/strong.keras --model models/tutorial.keras
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any folder

import numpy as np  # noqa: E402

import mnist_core  # noqa: E402,F401  (quietens TensorFlow before it loads)
from mnist_core.data.mnist import load_data  # noqa: E402
from mnist_core.data.drawn_digits import make_drawn_digits, origin_of, scheme_of  # noqa: E402
from mnist_core.data.european_digits import EVAL_SEED, form_name, make_european_digits  # noqa: E402
from mnist_core.reading.preprocess import naive_downscale, to_mnist_input  # noqa: E402
from mnist_core.untrusted.checked_load import load_model

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


def evaluation_sets(names, n, seed, european_seed=EVAL_SEED):
    """Builds the named evaluation sets: name -> (images, labels, groups), for `evaluate`."""
    sets = {}
    if "drawn" in names:
        (_, _), (x_test, y_test) = load_data()
        images, labels = make_drawn_digits(n, seed, source=(x_test, y_test))
        sets["drawn"] = (images, labels, {"scheme": [scheme_of(i) for i in range(n)],
                                          "origin": [origin_of(i) for i in range(n)]})
    if "european" in names:
        images, labels = make_european_digits(n, european_seed)
        sets["european"] = (images, labels, {"scheme": [scheme_of(i) for i in range(n)],
                                             "form": [form_name(i) for i in range(n)],
                                             "digit": [f"digit {d}" for d in labels]})
    return sets


SET_NAMES = ("drawn", "european")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append",
                        help="Keras model file, repeat for several (default: models/strong.keras "
                             "and models/tutorial.keras)")
    parser.add_argument("--set", action="append", choices=SET_NAMES,
                        help="evaluation set, repeat for several (default: all)")
    parser.add_argument("--n", type=int, default=1000,
                        help="images per set (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the drawn set (default: %(default)s)")
    parser.add_argument("--european-seed", type=int, default=EVAL_SEED,
                        help="seed of the European set (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of a table")
    args = parser.parse_args(argv)


    models = args.model or ["models/strong.keras", "models/tutorial.keras"]
    sets = evaluation_sets(args.set or SET_NAMES, args.n, args.seed, args.european_seed)
    results = {}
    for path in models:
        model = load_model(path).model
        results[path] = {name: evaluate(model, *data) for name, data in sets.items()}
    if args.json:
        print(json.dumps({"n": args.n, "seed": args.seed, "european_seed": args.european_seed,
                          "results": results}, indent=2))
        return
    for path, by_set in results.items():
        for name, result in by_set.items():
            seed = args.seed if name == "drawn" else args.european_seed
            print(f"\n{name} set: {args.n} images, seed {seed}, model {path}")
            print("\n".join(format_table(result)))


if __name__ == "__main__":
    main()
