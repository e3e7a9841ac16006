"""`python -m mnist_core models`: the models of a folder, one line of facts each, the page's
default starred."""

from mnist_core.cli.options import models_dir_option, models_folder
from mnist_core.errors import MnistError


def add_parser(command):
    """Registers `models` through commands.py's `command(name, function, help)`."""
    sub = command("models", cmd_models,
                  "List the models of a folder with their facts; * marks the default (the best "
                  "reader of drawn digits, which the page starts with).")
    models_dir_option(sub)


def cmd_models(args):
    """Lists the models of a folder with their facts, one per line; `*` marks the default."""
    from mnist_core import storage

    folder = models_folder(args)
    entries = storage.list_models(folder)
    if not entries:
        raise MnistError(f"There is no model in {folder}: train one with "
                         "`python -m mnist_core train --out FOLDER`.")
    default = storage.default_entry(entries)
    width = max(len(path.name) for path, _ in entries)
    for path, metadata in entries:
        print(("* " if (path, metadata) == default else "  ") + describe_model(path, metadata, width))


def describe_model(path, metadata, width=0):
    """One line of facts: name, test and drawn-digit accuracy, recipe, epochs, date."""
    def percent(key):
        value = metadata.get(key)
        return f"{value:7.2%}" if isinstance(value, (int, float)) else "      ?"

    epochs = metadata.get("epochs")
    return (f"{path.name:<{width}}  test {percent('test_accuracy')}  drawn {percent('drawn_accuracy')}"
            f"  recipe {metadata.get('recipe', '?'):<8}  {epochs if epochs else '?':>3} epochs"
            f"  {str(metadata.get('date', '?'))[:10]}"
            + (f"  drawings {percent('drawings_accuracy')} of {metadata['drawings_heldout']}"
               if "drawings_heldout" in metadata else ""))
