"""What reading a stroke's canvas costs, in one process: the part of a stroke that is not Streamlit.

    .venv/bin/python bench/stroke_reading.py [--model models/strong.keras] [--digits 200]
        [--rounds 3]

The first `--digits` MNIST test digits are encoded as the Draw view's canvas sends them (a
280x280 white-on-black PNG data URL, `tests.stream_client.drawing`), then each is taken
through the page's own steps, timed apart in process CPU: decoding the data URL within the
canvas's limits (`ui.canvas.canvas_pixels`), halving it to grey (`ui.canvas.reading_pixels`)
and reading it with the model and the not-a-digit gate (`Predictor.predict_number`, compiled
for LiteRT as the server's models are, after one untimed pass that compiles it). Prints each
round's means in ms a drawing. Beside `bench/stroke_cost.py --root bench/stroke_floor`
(Streamlit's own cost of a stroke), it says how much of a stroke's budget is gone before the
page shows anything (bench/README.md, issue 23).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any folder

from protocol_visitors import cpu_model  # noqa: E402

import mnist_core  # noqa: E402,F401  (quietens TensorFlow before it loads)
from mnist_core.data.mnist import load_data  # noqa: E402
from mnist_core.reading.inference import Predictor  # noqa: E402
from mnist_core.untrusted.checked_load import load_model  # noqa: E402
from tests.stream_client.drawing import png_data_url  # noqa: E402
from ui import canvas  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("decode", "halve", "read")


def one_round(urls, predictor):
    """Mean process CPU in ms a drawing of each step, over `urls`."""
    spent = dict.fromkeys(STEPS, 0.0)
    for url in urls:
        start = time.process_time()
        decoded = canvas.canvas_pixels(url)
        decoded_at = time.process_time()
        pixels = canvas.reading_pixels(decoded)
        halved_at = time.process_time()
        predictor.predict_number(pixels)
        read_at = time.process_time()
        spent["decode"] += decoded_at - start
        spent["halve"] += halved_at - decoded_at
        spent["read"] += read_at - halved_at
    return {step: seconds / len(urls) * 1000 for step, seconds in spent.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "strong.keras"))
    parser.add_argument("--digits", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    _, (x_test, _) = load_data()
    urls = [png_data_url(digit) for digit in x_test[:args.digits]]
    predictor = Predictor(load_model(args.model).model, compiled=True)
    one_round(urls, predictor)  # compiles, and warms what the first pass pays once
    print(f"CPU: {cpu_model()}; {Path(args.model).name}, {len(urls)} MNIST test digits as the "
          "canvas sends them; process CPU, ms a drawing", flush=True)
    for round_ in range(1, args.rounds + 1):
        means = one_round(urls, predictor)
        steps = ", ".join(f"{step} {means[step]:.2f}" for step in STEPS)
        print(f"round {round_}: {steps}; together {sum(means.values()):.2f}", flush=True)


if __name__ == "__main__":
    main()
