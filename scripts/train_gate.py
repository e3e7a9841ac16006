"""Trains the "not a digit" gate and writes it where the package ships it.

    .venv/bin/python scripts/train_gate.py [--epochs 8] [--out mnist_core/reading/not_a_digit.keras]

Writes the model and its facts (threshold, counts, seconds) beside it, each file whole or not
at all. bench/eval_not_digit.py then measures it (bench/README.md, "Not a digit").
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any folder

import mnist_core  # noqa: E402,F401  (quietens TensorFlow before it loads)
from mnist_core.atomic_files import replaced_atomically  # noqa: E402
from mnist_core.data.mnist import load_data  # noqa: E402
from mnist_core.reading.not_a_digit import GATE_FILE  # noqa: E402
from mnist_core.training.gate_recipe import train_gate  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=GATE_FILE)
    args = parser.parse_args()
    model, facts = train_gate(load_data(), seed=args.seed, epochs=args.epochs,
                              progress=lambda line: print(line, flush=True))
    with replaced_atomically(args.out) as path:
        model.save(path)
    with replaced_atomically(args.out.with_suffix(".json")) as path:
        path.write_text(json.dumps(facts, indent=2) + "\n")
    print(f"Wrote {args.out} and its facts.")


if __name__ == "__main__":
    main()
