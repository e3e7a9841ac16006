"""mnist_core: the Keras MNIST tutorial as a small, tested library (no UI code here).

Modules, one concept each: `data` (verified MNIST), `model` (the tutorial's CNN and data
preparation), `recipes` (named ways to train), `callbacks` (live metrics and cancel),
`training`, `storage` (atomic save, safe load, metadata), `preprocess` (drawings to MNIST input),
`inference`, `plots`, `jobs` (one background training at a time), `untrusted` (model files
nobody vouches for, loaded by `model_sandbox`'s limited child process), and `cli`.
Keras and TensorFlow are imported lazily, so `python -m mnist_core --help` answers at once.
"""

import os

# TensorFlow's C++ start-up chatter (oneDNN, CPU feature notes) is noise to a user of this demo.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "1.0.0"
