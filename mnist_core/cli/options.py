"""Options several commands share: the models folder (`--dir`), your own copy of MNIST
(`--data`) and the default output folder, each written once so they cannot drift apart."""

import datetime
from pathlib import Path


def new_run_folder(kind):
    """`runs/KIND-YYYYmmdd-HHMMSS`: where a command writes when `--out` is not given."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{kind}-{stamp}"


def models_dir_option(sub):
    """`--dir DIR`: the models folder a command reads (`models_folder` resolves it)."""
    sub.add_argument("--dir", metavar="DIR", default=None,
                     help="models folder (default: $MNIST_MODELS_DIR, else models/ beside the app)")


def models_folder(args):
    """The folder `--dir` names, else the page's own (`storage.models_dir()`)."""
    from mnist_core import storage

    return Path(args.dir) if args.dir else storage.models_dir()


def data_option(sub):
    """`--data PATH`: a copy of MNIST tried when the cache and the downloads fail."""
    sub.add_argument("--data", metavar="PATH", default=None,
                     help="your own copy of MNIST (.npz or folder of IDX files), tried when "
                          "the cache and the downloads fail; $MNIST_PATH also works")
