"""One epoch of the tutorial recipe: the product's training vs PyTorch's best, same run.

    .venv/bin/python bench/train_epoch.py [--images 60000] [--repeats 3] [--variants ...]
        [--isa avx2]

Variants, each in a fresh process (so none inherits another's warm caches or threads), run in
turn `--repeats` times (interleaved, so the machine's drift hits all alike); the fastest run of
each is kept:
  product   mnist_core.training.trainer.train("tutorial", epochs=1): the training the app and
            `train` run, precision "auto" (bfloat16 maths with float32 weights where the CPU
            computes bfloat16 natively, else float32: `mnist_core.cpu.fast_dtype`)
  torch_best
            PyTorch's best configuration on this CPU: the same network, batch 64, Adam(1e-3),
            same images, `channels_last`, and its forward and loss under
            `torch.autocast("cpu", dtype=torch.bfloat16)` where the CPU has AMX or AVX-512 BF16
            (float32 elsewhere, where bfloat16 is emulated and 2-3x slower); it says which and why
  product_float32
            the product with precision="float32": the tutorial's arithmetic
  keras_fit the tutorial's code verbatim: model.fit on numpy arrays, float32
  torch     the PyTorch loop as a beginner writes it: float32, default (NCHW) memory format
  matmul    not a training: this CPU's matrix-multiply rate in the same run (TensorFlow, square
            2048 x 2048, float32 and bfloat16, GFLOP/s), against which each variant's achieved
            rate is given as a share
Each training measures preparation + model building + one epoch + the test-set evaluation, not
imports. PyTorch: `.venv/bin/pip install torch==2.13.0` (a CPU wheel; bench only, not in
requirements); its variants are skipped with a note without it.

Arithmetic (from the layer shapes, multiply-adds x 2; bias, ReLU, pooling, softmax and Adam
are elementwise and left out, < 1 %): forward multiply-adds per image are conv1 26*26*32 outputs
x 3*3*1 = 194,688, conv2 11*11*64 x 3*3*32 = 2,230,272, dense 1600*128 = 204,800 and
128*10 = 1,280: 2,631,040, 5.26 MFLOP. Training computes each layer's weight gradient (as many
multiply-adds as its forward) and its input gradient (as many again, for every layer but the
first, whose input is the data): 3 x 2,631,040 - 194,688 = 7,698,432, 15.40 MFLOP an image.
One epoch of 60,000 with validation on 10,000: 0.924 + 0.053 = 0.976 TFLOP.

Prints seconds (min over repeats), the CPU time (user + sys) of that run, test accuracy, the
achieved GFLOP/s and its share of the matmul rate in that arithmetic, the ratios, and the goal:
product / torch_best <= 0.9. On a loaded machine PyTorch's OpenMP threads spin waiting for each
other (its CPU time then far exceeds its work): the load average is printed before and after.
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

from mnist_core.cpu import bfloat16_flags, fast_dtype  # noqa: E402  (no TensorFlow import)

FORWARD_MACS = (26 * 26 * 32 * 3 * 3 * 1, 11 * 11 * 64 * 3 * 3 * 32, 1600 * 128, 128 * 10)
"""Multiply-adds per image of the tutorial network's conv1, conv2, dense and output layers."""
FORWARD_FLOP = 2 * sum(FORWARD_MACS)
TRAINING_FLOP = 2 * (3 * sum(FORWARD_MACS) - FORWARD_MACS[0])
"""Forward + weight gradients + input gradients (none for conv1, whose input is the data)."""
TEST_IMAGES = 10_000
MATMUL_SIZE = 2048


EMULATED = os.environ.get("MNIST_BENCH_ISA")
"""`avx2` (`--isa avx2`): every process of the run limited to the kernels of a CPU without
AVX-512 (oneDNN's `ONEDNN_MAX_CPU_ISA=AVX2`, PyTorch's `ATEN_CPU_CAPABILITY=avx2`) and treated
as having no native bfloat16 (`mnist_core.cpu.bfloat16_flags` reads the oneDNN limit), so the
product's `auto` computes in float32 as on such a CPU and PyTorch's best is float32 +
`channels_last`: that machine's comparison, run on this one."""


def run_product(images, precision=None):
    precision = precision or "auto"
    import keras  # noqa: F401  (imported before the clock starts, as PyTorch is below)

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


def torch_best_config(cpuinfo="/proc/cpuinfo"):
    """`(bf16, why)`: PyTorch's fastest arithmetic on this CPU and the reason, in words."""
    flags = bfloat16_flags(cpuinfo)
    if flags:
        return True, (f"bfloat16 autocast + channels_last: the CPU computes bfloat16 natively "
                      f"({', '.join(flags)})")
    return False, ("float32 + channels_last: the CPU has neither AMX nor AVX-512 BF16, so "
                   "bfloat16 would be emulated (2-3x slower than float32)")


def run_torch(images, bf16=False, channels_last=False):
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
    if channels_last:
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


def run_torch_best(images):
    return run_torch(images, bf16=torch_best_config()[0], channels_last=True)


def run_matmul(_images):
    """This CPU's square-matmul rate now, float32 and bfloat16, GFLOP/s (best of 5 timings)."""
    import tensorflow as tf

    import mnist_core  # noqa: F401  (the product's oneDNN setting, so the same kernels)

    rates = {}
    for dtype in (tf.float32,) if EMULATED else (tf.float32, tf.bfloat16):  # no AVX2 bf16 matmul
        a = tf.cast(tf.random.stateless_uniform((MATMUL_SIZE, MATMUL_SIZE), (1, 2)), dtype)
        matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, a)[:1, :1]))
        matmul()
        best, best_cpu = float("inf"), float("inf")
        for _ in range(5):
            started, cpu = time.perf_counter(), cpu_seconds()
            for _ in range(3):
                matmul().numpy()
            best = min(best, (time.perf_counter() - started) / 3)
            best_cpu = min(best_cpu, (cpu_seconds() - cpu) / 3)
        rates[dtype.name] = 2 * MATMUL_SIZE ** 3 / best / 1e9
        # A loaded machine slows the wall clock, hardly the work a CPU second does.
        rates[dtype.name + "_per_cpu_second"] = 2 * MATMUL_SIZE ** 3 / best_cpu / 1e9
    return rates


VARIANTS = {"product": run_product, "torch_best": run_torch_best,
            "product_float32": run_product_float32, "keras_fit": run_keras_fit,
            "torch": run_torch, "matmul": run_matmul}
GOAL = 0.9
"""The product's epoch must take at most this share of PyTorch's best configuration's."""


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


def cpu_model(cpuinfo="/proc/cpuinfo"):
    try:
        with open(cpuinfo) as f:
            return next((line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name")), "unknown")
    except OSError:
        return "unknown"


def arithmetic_dtype(variant):
    """The dtype a variant multiplies in on this CPU, for its share of the matmul rate."""
    if variant == "product":
        return "bfloat16" if fast_dtype() != "float32" else "float32"
    if variant == "torch_best":
        return "bfloat16" if torch_best_config()[0] else "float32"
    return "float32"


def report(results, images, repeats, loads):
    flags = bfloat16_flags()
    emulated = (f" (EMULATED {EMULATED.upper()}-only CPU: ONEDNN_MAX_CPU_ISA, "
                f"ATEN_CPU_CAPABILITY; the real flags: {', '.join(bfloat16_flags()) or 'none'})"
                if EMULATED else "")
    print(f"One epoch of the tutorial recipe on {images} images + validation on {TEST_IMAGES}; "
          f"{cpu_model()}, {os.cpu_count()} CPU cores, bfloat16 flags: "
          f"{', '.join(flags) or 'none'}{emulated}; min of {repeats} fresh processes each, "
          f"alternating; load average {loads[0]:.1f} before, {loads[1]:.1f} after")
    print(f"PyTorch's best here: {torch_best_config()[1]}")
    rates = results.get("matmul")
    if rates:
        print(f"  matmul {MATMUL_SIZE}x{MATMUL_SIZE} (TensorFlow, same run, best): "
              + ", ".join(f"{dtype} {rates[dtype]:.0f} GFLOP/s (per CPU second "
                          f"{rates[dtype + '_per_cpu_second']:.0f})"
                          for dtype in ("float32", "bfloat16") if dtype in rates))
    work = images * TRAINING_FLOP + TEST_IMAGES * FORWARD_FLOP
    print(f"  arithmetic: {TRAINING_FLOP / 1e6:.2f} MFLOP a training image, "
          f"{FORWARD_FLOP / 1e6:.2f} a test image: {work / 1e12:.3f} TFLOP in all")
    for variant, result in results.items():
        if variant == "matmul":
            continue
        achieved = work / result["seconds"] / 1e9
        per_cpu = work / result["cpu"] / 1e9
        dtype = arithmetic_dtype(variant)
        share = (f" = {achieved / rates[dtype]:.0%} of the {dtype} matmul's; per CPU second "
                 f"{per_cpu:.1f} = {per_cpu / rates[dtype + '_per_cpu_second']:.0%}"
                 if rates else "")
        print(f"  {variant:15s} {result['seconds']:7.2f} s  (CPU {result['cpu']:6.1f} s)   "
              f"test accuracy {result['accuracy']:.4f}   {achieved:5.1f} GFLOP/s{share}")
    for product in ("product", "product_float32"):
        for reference in ("torch_best", "keras_fit", "torch"):
            if product in results and reference in results:
                ratio = results[product]["seconds"] / results[reference]["seconds"]
                cpu = results[product]["cpu"] / results[reference]["cpu"]
                print(f"  {product} / {reference}: {ratio:.2f}, CPU {cpu:.2f}  "
                      f"(below 1: the product is faster)")
    if "product" in results and "torch_best" in results:
        ratio = results["product"]["seconds"] / results["torch_best"]["seconds"]
        print(f"  goal product / torch_best <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--images", type=int, default=60000, help="training images")
    parser.add_argument("--repeats", type=int, default=3, help="runs per variant (min is kept)")
    parser.add_argument("--variants", default="matmul,product,torch_best",
                        help=f"comma-separated, from {', '.join(VARIANTS)}")
    parser.add_argument("--isa", choices=("avx2",), default=None,
                        help="measure as on a CPU with AVX2 only (see EMULATED)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.isa and not args.run:  # the children inherit it
        os.environ.update(MNIST_BENCH_ISA=args.isa, ONEDNN_MAX_CPU_ISA=args.isa.upper(),
                          ATEN_CPU_CAPABILITY=args.isa)
        global EMULATED
        EMULATED = args.isa
    if args.run:
        cpu = cpu_seconds()
        if args.run == "matmul":
            print(json.dumps(run_matmul(args.images)))
            return
        seconds, accuracy = VARIANTS[args.run](args.images)
        print(json.dumps({"seconds": seconds, "cpu": cpu_seconds() - cpu,
                          "accuracy": float(accuracy)}))
        return
    load_before = os.getloadavg()[0]
    results = {}
    for round_ in range(1, args.repeats + 1):
        for variant in args.variants.split(","):  # interleaved, so drift hits all alike
            result, error = measure(variant, args.images)
            if error:
                print(f"{variant}: skipped ({error})")
                continue
            print(f"  round {round_}, {variant}: "  # a long run shows it is alive
                  + (", ".join(f"{k} {v:.4g}" for k, v in result.items())), flush=True)
            best = results.get(variant)
            if variant == "matmul":
                results[variant] = {k: max(v, (best or {}).get(k, 0)) for k, v in result.items()}
            elif best is None or result["seconds"] < best["seconds"]:
                results[variant] = result
    report(results, args.images, args.repeats, (load_before, os.getloadavg()[0]))


if __name__ == "__main__":
    main()
