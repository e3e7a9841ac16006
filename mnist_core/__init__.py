"""mnist_core: the Keras MNIST tutorial as a small, tested library (no UI code here).

Concept packages in one-way layers; a package imports only from those below it:

    foundation   constants, errors, settings, atomic_files, regular_files, paths, cpu, storage,
                 models_folder, lean_process
    reading      a drawing or picture to digits: ink, segmentation, preprocessing, prediction
    untrusted    every model file checked before Keras reads it; uploads loaded in a sandbox
    data         MNIST from verified sources; the drawn and European digit sets
    training     the tutorial's network, the recipes, train()
    evaluation   test-set reports and their store, the drawn-digit score, the tutorial's figures
    explain      what the network sees: every layer's output, saliency, their pictures
    drawings     visitors' drawings: the store, the scores, the training mix
    jobs         the server's background trainings in a child process
    cli          the command line, `python -m mnist_core`

(`reading` and `untrusted` share the lowest package layer, as do `evaluation` and `explain`:
neither of a pair imports the other.) `tests/test_layers.py` holds the code to this picture.
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
