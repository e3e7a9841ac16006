"""mnist_core: the Keras MNIST tutorial as a small, tested library (no UI code here).

Modules, one concept each: `data` (verified MNIST), `model` (the tutorial's CNN and data
preparation), `recipes` (named ways to train), `callbacks` (live metrics and cancel),
`training`, `storage` (atomic save, safe load, metadata), `preprocess` (drawings to MNIST input),
`inference`, `plots`, `jobs` (one background training at a time), `untrusted` (model files
nobody vouches for, loaded by `model_sandbox`'s limited child process), and `cli`.
Keras and TensorFlow are imported lazily, so `python -m mnist_core --help` answers at once.
"""

import os
import platform

# TensorFlow's C++ start-up chatter (oneDNN, CPU feature notes) is noise to a user of this demo.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX-512 VNNI, bfloat16 or
# AMX. On x86 CPUs without them (AVX2 only, like the project's 2-core AMD EPYC) the tutorial's
# training step takes ~27 % less CPU with them (bench/README.md); a deployer's own value wins.
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

__version__ = "1.0.0"
