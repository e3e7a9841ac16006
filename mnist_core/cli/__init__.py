"""cli: the command line, `python -m mnist_core`, a thin shell over the library.

The parser and the tutorial's own commands (`commands`: `tutorial`, `train`, `data`,
`evaluate`), and one module per further command: `predict`, `explain`, `models`, `reports`,
`drawings`; the options several share (`options`). Keras and TensorFlow are imported inside the
commands, so `--help` answers at once. The top layer: it may use every package below it.
"""

from mnist_core.cli.commands import main

__all__ = ["main"]
