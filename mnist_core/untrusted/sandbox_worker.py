"""The child process that loads one untrusted model file for `sandbox`, then exits.

Started as `python -P -s -m mnist_core.untrusted.sandbox_worker FILE HEADROOM WEIGHT_BYTES
[CPU_SECONDS]` (a module, not a multiprocessing spawn, which would re-import the Streamlit
script). It limits itself before it opens the file: no core dump, and once Keras is imported, no
byte written to any file (Keras needs none to load a genuine model; an archive it would extract
fails instead of filling the disk), an address space of what the import took plus HEADROOM
bytes, and CPU_SECONDS (`sandbox.CPU_LIMIT_S` by default) of CPU beyond what the import took,
after which the kernel ends it (SIGXCPU). Whatever the file makes Keras do, it costs only this
process.

It answers on stdout: `ready` and a newline once Keras is imported and the limits are set (the
parent's clock for the file starts there), then one JSON line, then on success the weights' raw
bytes, one array after the other in `get_weights()` order. The line is either
`{"config": <serialised model>, "weights": [[dtype, shape], ...]}` or
`{"kind": "memory" | "refused" | "keras", "message": <text>}`.
"""

import errno
import json
import math
import os
import resource
import signal
import sys

import numpy as np
from mnist_core.lean_process import leave_out_pandas
from mnist_core.untrusted.checked_load import check_shapes
from mnist_core.untrusted.sandbox import CPU_LIMIT_S, READY

NICE = 10
"""How much lower the child's CPU priority is than the server's: below the server, above a
training (`jobs.training_jobs.CHILD_NICE`). A check of the strong model costs the child ~2.7 s
of CPU, most of it importing Keras (measured from /proc on the 2-core EPYC), which the strokes of
a hundred visitors should not wait behind; the file itself takes a fraction of a second of it,
well inside `sandbox.CPU_LIMIT_S`."""

THREADS = 1
"""TensorFlow threads: loading needs none in parallel, and fewer threads reserve less memory
and leave the server's cores to the server."""


def _limit(kind, value):
    """Sets both limits of `kind` to `value`, or keeps a lower hard limit already in place."""
    hard = resource.getrlimit(kind)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def _limit_cpu(seconds):
    """Ends this process (SIGXCPU, then SIGKILL a second later) once it has spent `seconds` of
    CPU more than it has now, all its threads together. The SIGKILL comes whatever the process
    does with SIGXCPU, and whatever hard limit a deployer set (only ever lowered here)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
        hard = min(hard, soft + 1)
    else:
        hard = soft + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _default_xcpu():
    """SIGXCPU ends this process, as by default, even if the server that started it ignored or
    blocked it (both are inherited); called before any other thread starts."""
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGXCPU})


def _address_space():
    """This process's virtual memory size in bytes (Linux), or None where /proc has no answer."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _protocol_stream():
    """A private copy of stdout for the answer; fd 1 then points at stderr, so a stray print
    from a library can never corrupt the answer."""
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return answer


def _load(path, max_weight_bytes):
    """Loads `path` with Keras' safe mode and returns `(header, weights)` to send back."""
    import keras


    model = keras.models.load_model(path, compile=False, safe_mode=True)
    check_shapes(model, os.path.basename(path))
    weights = [np.ascontiguousarray(w) for w in model.get_weights()]
    total = sum(w.nbytes for w in weights)
    if total > max_weight_bytes:
        return {"kind": "refused", "message": f"{os.path.basename(path)} holds "
                f"{total / 2**20:,.1f} MiB of weights; this app loads models of at most "
                f"{max_weight_bytes / 2**20:,.1f} MiB."}, []
    config = keras.saving.serialize_keras_object(model)
    config.pop("compile_config", None)  # loaded with compile=False: nothing to compile
    specs = [[w.dtype.name, list(w.shape)] for w in weights]
    return {"config": config, "weights": specs}, weights


def _os_error(error, name):
    if error.errno == errno.EFBIG:  # the write limit: Keras extracting the archive to disk
        return {"kind": "refused", "message": f"{name} makes Keras write files to disk while "
                "loading, which no plain Keras model needs; it was refused."}
    return {"kind": "keras", "message": str(error).strip() or type(error).__name__}


def main(argv):
    path = argv[1]
    headroom, max_weight_bytes = (int(a) for a in argv[2:4])
    cpu_seconds = float(argv[4]) if len(argv) > 4 else CPU_LIMIT_S
    _limit(resource.RLIMIT_CORE, 0)  # a crash must not write a core file of the whole process
    _default_xcpu()
    answer = _protocol_stream()
    os.nice(NICE)  # below the server, which answers strokes meanwhile
    leave_out_pandas()  # ~0.4 s and ~64 MB of Keras' import that a model file never needs

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    import keras

    from mnist_core import storage  # noqa: F401 (imported before the limits, as Keras is)
    from mnist_core.errors import ModelFileError

    # Build one tiny layer first, so TensorFlow's thread pools and allocator already exist when
    # the address space is measured: the headroom is then left whole for the file.
    keras.layers.Dense(1).build((None, 1))
    used = _address_space()
    if used is not None:
        _limit(resource.RLIMIT_AS, used + headroom)
    _limit(resource.RLIMIT_FSIZE, 0)  # Python ignores SIGXFSZ, so a write fails with EFBIG
    _limit_cpu(cpu_seconds)
    answer.write(READY)
    answer.flush()

    weights = []
    try:
        header, weights = _load(path, max_weight_bytes)
    except MemoryError:
        header = {"kind": "memory", "message": ""}
    except ModelFileError as error:
        header = {"kind": "refused", "message": str(error)}
    except OSError as error:
        header = _os_error(error, os.path.basename(path))
    except Exception as error:  # Keras and h5py raise many kinds; each means "not loadable"
        text = str(error).strip()
        header = {"kind": "keras", "message": text.splitlines()[0] if text else
                  type(error).__name__}
    answer.write(json.dumps(header).encode() + b"\n")
    for array in weights:
        answer.write(array.reshape(-1).view(np.uint8).data)  # bfloat16 has no buffer format
    answer.close()
    sys.stderr.flush()
    # The answer is complete: skip TensorFlow's teardown, which takes most of a second.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
