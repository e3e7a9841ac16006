"""One epoch of the tutorial recipe: the product's training path vs two references, same run.

    .venv/bin/python bench/train_epoch.py [--images 60000] [--repeats 1]

Variants, each in a fresh process (so none inherits another's warm caches or threads):
  product   mnist_core.training.trainer.train("tutorial", epochs=1): the training the app and
            `train` run (`train_and_score` adds the drawn-set score after it, not timed here)
            (precision "auto": bfloat16 maths with float32 weights where the CPU has it natively)
  product_float32
            the same with precision="float32": the tutorial's arithmetic (`--precision float32`)
  keras_fit the tutorial's code verbatim: model.fit(X, y, epochs=1, batch_size=64,
            validation_data=(X_test, y_test)) on numpy arrays
  torch     a pure-PyTorch loop of the same network, batch 64, Adam(1e-3), same images
            (needs `pip install torch==2.13.0`; skipped with a note when torch is missing)
  torch_bf16
            the same loop as a user who knows a bfloat16 CPU writes it: forward and loss under
            `torch.autocast("cpu", dtype=torch.bfloat16)`, model and batches `channels_last`
Each measures preparation + model building + one epoch + the test-set evaluation, not imports.
Prints seconds (min over repeats), the CPU time (user + sys) of that run, test accuracy, the
ratios product/reference of both (on a loaded machine, the CPU ratio is the steadier one), and the goal: product / torch_bf16 <= 0.9 (min of 3 fresh processes).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_product(images, precision="auto"):
    from mnist_core.data.mnist import load_data
    from mnist_core.training.trainer import train

    data = load_data()
    started = time.perf_counter()
    result = train("tutorial", data=data, epochs=1, limit=images, precision=precision)
    return time.perf_counter() - started, result.test_accuracy


def run_product_float32(images):
    return run_product(images, precision="float32")


def run_keras_fit(images):
    import keras
    from keras import layers

    from mnist_core.data.mnist import load_data

    (x_train, y_train), (x_test, y_test) = load_data()
    started = time.perf_counter()
    X_train = x_train[:images].reshape((-1, 28, 28, 1)).astype("float32") / 255
    X_test = x_test.reshape((-1, 28, 28, 1)).astype("float32") / 255
    Y_train = keras.utils.to_categorical(y_train[:images])
    Y_test = keras.utils.to_categorical(y_test)
    keras.utils.set_random_seed(1234)
    model = keras.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(X_train, Y_train, epochs=1, batch_size=64, validation_data=(X_test, Y_test),
              verbose=0)
    _, accuracy = model.evaluate(X_test, Y_test, verbose=0)
    return time.perf_counter() - started, accuracy


def run_torch(images, bf16=False):
    import contextlib

    import torch
    from torch import nn

    from mnist_core.data.mnist import load_data

    (x_train, y_train), (x_test, y_test) = load_data()
    started = time.perf_counter()
    torch.manual_seed(1234)
    X_train = torch.from_numpy(x_train[:images]).float().div_(255).unsqueeze(1)
    Y_train = torch.from_numpy(y_train[:images]).long()
    X_test = torch.from_numpy(x_test).float().div_(255).unsqueeze(1)
    Y_test = torch.from_numpy(y_test).long()
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    if bf16:
        model = model.to(memory_format=torch.channels_last)
        X_train = X_train.contiguous(memory_format=torch.channels_last)
        X_test = X_test.contiguous(memory_format=torch.channels_last)

    def maths():
        return (torch.autocast("cpu", dtype=torch.bfloat16) if bf16
                else contextlib.nullcontext())

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    order = torch.randperm(len(X_train))
    for start in range(0, len(X_train), 64):
        batch = order[start:start + 64]
        optimizer.zero_grad()
        with maths():
            loss = loss_fn(model(X_train[batch]), Y_train[batch])
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad(), maths():  # the tutorial validates on the test set; so do all variants
        accuracy = (model(X_test).argmax(1) == Y_test).float().mean().item()
    return time.perf_counter() - started, accuracy


def run_torch_bf16(images):
    return run_torch(images, bf16=True)


VARIANTS = {"product": run_product, "product_float32": run_product_float32,
            "keras_fit": run_keras_fit, "torch": run_torch, "torch_bf16": run_torch_bf16}
GOAL = 0.9
"""The product's epoch must take at most this share of the bfloat16 PyTorch loop's."""


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(variant, images):
    done = subprocess.run([sys.executable, __file__, "--run", variant, "--images", str(images)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return None, tail
    return json.loads(done.stdout.strip().splitlines()[-1]), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--images", type=int, default=60000, help="training images")
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant (min is kept)")
    parser.add_argument("--variants",
                        default="product,product_float32,keras_fit,torch,torch_bf16")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        cpu = cpu_seconds()
        seconds, accuracy = VARIANTS[args.run](args.images)
        print(json.dumps({"seconds": seconds, "cpu": cpu_seconds() - cpu,
                          "accuracy": float(accuracy)}))
        return
    load_before = os.getloadavg()[0]
    results = {}
    for _ in range(args.repeats):
        for variant in args.variants.split(","):  # interleaved, so drift hits all alike
            result, error = measure(variant, args.images)
            if error:
                print(f"{variant}: skipped ({error})")
                continue
            best = results.get(variant)
            if best is None or result["seconds"] < best["seconds"]:
                results[variant] = result
    print(f"One epoch of the tutorial recipe on {args.images} images, {os.cpu_count()} CPU cores "
          f"(min of {args.repeats}; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after):")
    for variant, result in results.items():
        print(f"  {variant:15s} {result['seconds']:7.2f} s  (CPU {result['cpu']:6.1f} s)   "
              f"test accuracy {result['accuracy']:.4f}")
    for product in ("product", "product_float32"):
        for reference in ("keras_fit", "torch", "torch_bf16"):
            if product in results and reference in results:
                ratio = results[product]["seconds"] / results[reference]["seconds"]
                cpu = results[product]["cpu"] / results[reference]["cpu"]
                print(f"  {product} / {reference}: {ratio:.2f}, CPU {cpu:.2f}  "
                      f"(below 1: the product is faster)")
    if "product" in results and "torch_bf16" in results:
        ratio = results["product"]["seconds"] / results["torch_bf16"]["seconds"]
        print(f"  goal product / torch_bf16 <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
