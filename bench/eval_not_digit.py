"""Not a digit: how many non-digits the page flags, and how many digits it wrongly flags.

Sets, none of them trained or calibrated on:
- `non_digits`: letters (from fonts and stroked), shapes and scribbles, seed `EVAL_SEED` of
  `mnist_core.data.non_digits`;
- `drawn`: MNIST test digits re-drawn on a canvas and stroked templates (bench/eval_drawn.py's);
- `european`: European forms of the digits (bench/eval_drawn.py's);
- `mnist_test`: MNIST's 10,000 test images as they are.

Each drawing is read as the page reads it (`Predictor.predict_number`: a drawing is flagged
when any of its pieces is); MNIST's images as the model sees them (`predict_prepared`). The
baseline, measured in the same run, flags a drawing when the model's top probability is below
the threshold that keeps 99 % of the drawn digits (the rule the issue measured first).

    python bench/eval_not_digit.py [--model models/strong.keras] [--n 2000] [--json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any folder

import numpy as np  # noqa: E402

import mnist_core  # noqa: E402,F401  (quietens TensorFlow before it loads)
from mnist_core.data.drawn_digits import make_drawn_digits  # noqa: E402
from mnist_core.data.european_digits import make_european_digits  # noqa: E402
from mnist_core.data.mnist import load_data  # noqa: E402
from mnist_core.data.non_digits import EVAL_SEED, make_non_digits  # noqa: E402
from mnist_core.reading.inference import Predictor  # noqa: E402
from mnist_core.reading.not_a_digit import GATE_FILE, load_gate  # noqa: E402
from mnist_core.untrusted.checked_load import load_model  # noqa: E402

BASELINE_KEEPS = 0.99
"""The max-softmax baseline's threshold keeps this share of the drawn digits."""


def read_drawings(predictor, images):
    """Per drawing: (flagged by the gate, the whole image's top probability)."""
    flagged, top = np.zeros(len(images), bool), np.zeros(len(images), np.float32)
    for i, image in enumerate(images):
        flagged[i] = predictor.predict_number(image).not_a_digit
        top[i] = predictor.predict(image).confidence
    return flagged, top


def shares(flags, groups):
    """{"all": share flagged, group: share flagged, ...}, and counts alike."""
    flags, groups = np.asarray(flags), np.asarray(groups)
    out = {"all": (float(flags.mean()), len(flags))}
    for group in dict.fromkeys(groups):
        chosen = flags[groups == group]
        out[str(group)] = (float(chosen.mean()), int(len(chosen)))
    return out


def evaluate(model_path, n, seed=EVAL_SEED, gate=GATE_FILE):
    """Every set's flagged shares for the gate and for the baseline, with one model."""
    predictor = Predictor(load_model(model_path).model, gate=load_gate(gate))
    (_, _), (x_test, y_test) = load_data()
    non_digits, kinds, names = make_non_digits(n, seed)
    drawn, _ = make_drawn_digits(1000, 0, source=(x_test, y_test))
    european, _ = make_european_digits(1000)
    started = time.perf_counter()
    read = {name: read_drawings(predictor, images) for name, images in
            (("non_digits", non_digits), ("drawn", drawn), ("european", european))}
    x = x_test.astype(np.float32) / 255
    mnist_flags = predictor.gate.flags(predictor.gate.scores(x))
    mnist_top = predictor.probabilities(x).max(axis=1)
    seconds = time.perf_counter() - started
    cut = float(np.quantile(read["drawn"][1], 1 - BASELINE_KEEPS))
    groups = {"non_digits": [f"{k}" for k in kinds], "drawn": ["drawn"] * 1000,
              "european": ["european"] * 1000}
    result = {"model": model_path, "baseline_threshold": cut, "seconds": round(seconds, 1),
              "gate_threshold": predictor.gate.threshold}
    for name, (flagged, top) in read.items():
        result[name] = {"gate": shares(flagged, groups[name]),
                        "baseline": shares(top < cut, groups[name])}
    result["non_digits_by_name"] = {"gate": shares(read["non_digits"][0], names)}
    result["mnist_test"] = {"gate": shares(mnist_flags, ["mnist"] * len(x)),
                            "baseline": shares(mnist_top < cut, ["mnist"] * len(x))}
    return result


def format_table(result):
    lines = [f"model {result['model']}: gate threshold {result['gate_threshold']:.4f}, "
             f"baseline threshold (keeps {BASELINE_KEEPS:.0%} of drawn digits) "
             f"{result['baseline_threshold']:.4f}",
             f"{'set':<12}{'group':<16}{'images':>7}{'gate':>9}{'baseline':>10}"]
    for name in ("non_digits", "drawn", "european", "mnist_test"):
        for group, (share, count) in result[name]["gate"].items():
            base = result[name]["baseline"][group][0]
            lines.append(f"{name:<12}{group:<16}{count:>7}{100 * share:>8.1f}%{100 * base:>9.1f}%")
    by_name = result["non_digits_by_name"]["gate"]
    lines.append("non-digits flagged by the gate, by what they are: " + ", ".join(
        f"{k} {100 * s:.0f}%" for k, (s, _) in by_name.items() if k != "all"))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append",
                        help="Keras model file, repeat for several (default: models/strong.keras "
                             "and models/tutorial.keras)")
    parser.add_argument("--n", type=int, default=2000, help="non-digits (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=EVAL_SEED,
                        help="seed of the non-digits (default: %(default)s)")
    parser.add_argument("--gate", type=Path, default=GATE_FILE,
                        help="gate file (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    results = [evaluate(path, args.n, args.seed, args.gate)
               for path in args.model or ["models/strong.keras", "models/tutorial.keras"]]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for result in results:
        print("\n".join(format_table(result)) + "\n")


if __name__ == "__main__":
    main()
