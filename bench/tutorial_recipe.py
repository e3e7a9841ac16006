"""The tutorial recipe's 10 epochs as a visitor waits for them: the whole `train` command.

    .venv/bin/python bench/tutorial_recipe.py [--precision auto|float32] [--repeats 1]

Runs `python -m mnist_core train --out TMP` (the tutorial recipe: its network, Adam, batch 64,
10 epochs) in a fresh process, timed from launch to exit, imports, data loading and preparation
included, and prints it beside the process's CPU time (user + sys), the test accuracy and the
load average (only an idle machine can judge the wall-clock goal). With `--precision both` it
also runs `--precision float32` in the same session, alternating, and prints the ratio.
Goal: at most 35 s on the project's machine.
"""

import argparse
import os

from quick_recipe import timed_train

GOAL_SECONDS = 35


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precision", choices=("auto", "float32", "both"), default="auto")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each (min is kept)")
    args = parser.parse_args()
    precisions = ("auto", "float32") if args.precision == "both" else (args.precision,)
    load = os.getloadavg()[0]
    best = {}
    for _ in range(args.repeats):
        for precision in precisions:
            figure = timed_train("tutorial", "--precision", precision)
            if precision not in best or figure[0] < best[precision][0]:
                best[precision] = figure
    print(f"Tutorial recipe, 10 epochs, whole `train` command, {os.cpu_count()} CPU cores, "
          f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"(min of {args.repeats}):")
    for precision, (seconds, cpu, accuracy) in best.items():
        print(f"  --precision {precision:8s} {seconds:6.1f} s (CPU {cpu:6.1f} s)   "
              f"test accuracy {accuracy:.4f}   goal <= {GOAL_SECONDS} s: "
              f"{'met' if seconds <= GOAL_SECONDS else 'NOT met'}")
    if len(best) == 2:
        print(f"  auto / float32: {best['auto'][0] / best['float32'][0]:.2f}")


if __name__ == "__main__":
    main()
