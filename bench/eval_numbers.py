"""How often numbers written as several digits are read right: MNIST test digits side by side.

Each number is `--digits` random MNIST *test* digits, enlarged 4x (about 80 pixels high, as on
the page's canvas), placed left to right with a random gap; one gap in three makes the two
digits' ink touch and overlap by 1 to 6 pixels. Prints the share of numbers read exactly, of
digits read right, the share flagged unsure (and of wrong readings, the share flagged), and the
time per number, apart for numbers with and without touching digits; and, as the ceiling, the
share of numbers whose digits the model reads right alone.

    python bench/eval_numbers.py --model models/tutorial.keras --n 200 --digits 4 --seed 0
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any folder

import numpy as np  # noqa: E402

import mnist_core  # noqa: E402,F401  (quietens TensorFlow before it loads)
from mnist_core.data.mnist import load_data  # noqa: E402
from mnist_core.data.touching_digits import compose  # noqa: E402
from mnist_core.untrusted.checked_load import load_model

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/tutorial.keras")
    parser.add_argument("--n", type=int, default=200, help="numbers to read")
    parser.add_argument("--digits", type=int, default=4, help="digits per number")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from mnist_core.reading.inference import Predictor

    predictor = Predictor(load_model(args.model).model)
    (_, _), (x_test, y_test) = load_data()
    rng = np.random.default_rng(args.seed)
    alone = predictor.probabilities(x_test / 255.0).argmax(axis=1) == y_test
    rows = {True: [], False: []}
    for _ in range(args.n):
        chosen = rng.choice(len(x_test), args.digits, replace=False)
        canvas, touching = compose(x_test[chosen], rng)
        truth = "".join(str(int(d)) for d in y_test[chosen])
        start = time.perf_counter()
        reading = predictor.predict_number(canvas)
        seconds = time.perf_counter() - start
        same = len(reading.number) == len(truth)
        right = sum(a == b for a, b in zip(reading.number, truth)) if same else 0
        rows[touching].append((reading.number == truth, right / args.digits, same,
                               reading.unsure, seconds, alone[chosen].all(),
                               reading.not_a_digit))
    print(f"{args.n} numbers of {args.digits} MNIST test digits, model {args.model}, "
          f"seed {args.seed}")
    print(f"{'':22}{'numbers':>8}{'exact':>8}{'digits':>8}{'count ok':>9}{'unsure':>8}"
          f"{'ms':>7}{'ceiling':>9}{'wrong, flagged':>16}{'not a digit':>13}")
    for name, subset in (("all", rows[True] + rows[False]), ("no digits touching", rows[False]),
                         ("some digits touching", rows[True])):
        if subset:
            a = np.array(subset, dtype=float)
            print(f"{name:22}{len(a):8d}{a[:, 0].mean():8.1%}{a[:, 1].mean():8.1%}"
                  f"{a[:, 2].mean():9.1%}{a[:, 3].mean():8.1%}{1000 * np.median(a[:, 4]):7.1f}"
                  f"{a[:, 5].mean():9.1%}{_flagged(a):>16}{a[:, 6].mean():13.1%}")
    print("exact: the whole number right; digits: digits right where the count is right; "
          "ceiling: numbers whose digits the model reads right alone; wrong, flagged: numbers "
          "read wrong that the answer said it was unsure of; not a digit: numbers with a piece the "
          "not-a-digit gate flagged (all of these are digits)")


def _flagged(rows):
    wrong = rows[:, 0] == 0
    return f"{rows[wrong, 3].mean():.1%}" if wrong.any() else "-"


if __name__ == "__main__":
    main()
