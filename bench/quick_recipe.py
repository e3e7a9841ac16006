"""`train --recipe quick` against the tutorial recipe, wall clock of the whole command, same run.

    .venv/bin/python bench/quick_recipe.py [--skip-reference]

Each is `python -m mnist_core train --recipe NAME --out TMP` in a fresh process, timed from
launch to exit: imports, data loading (from the verified cache) and preparation included.
Goal for quick: test accuracy >= 0.990 in <= 30 s on this machine.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_train(recipe):
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mnist_core", "train", "--recipe", recipe,
                               "--out", out], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{recipe} failed: {done.stderr.strip().splitlines()[-1]}")
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", done.stdout).group(1))
    return seconds, accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-reference", action="store_true",
                        help="time only the quick recipe (the reference takes ~2 minutes)")
    args = parser.parse_args()
    quick_s, quick_acc = timed_train("quick")
    print(f"Whole `train` command, {os.cpu_count()} CPU cores:")
    print(f"  quick     {quick_s:6.1f} s   test accuracy {quick_acc:.4f}   goal >= 0.990 in <= 30 s: "
          f"{'met' if quick_acc >= 0.99 and quick_s <= 30 else 'NOT met'}")
    if not args.skip_reference:
        tutorial_s, tutorial_acc = timed_train("tutorial")
        print(f"  tutorial  {tutorial_s:6.1f} s   test accuracy {tutorial_acc:.4f}")
        print(f"  quick / tutorial time: {quick_s / tutorial_s:.2f}")


if __name__ == "__main__":
    main()
