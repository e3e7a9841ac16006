"""The house's shape: concept packages in one-way layers, no import circles, public names only.

Reads the imports of every module as text (`ast`), the lazy ones inside functions included, so
a rule is checked without importing anything; each test names the modules that break it.
"""

import ast
import importlib
import sys
from pathlib import Path

import pytest

from mnist_core import paths

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "mnist_core"

LAYERS = {
    "foundation": 0,  # the modules at the top of mnist_core
    "reading": 1,
    "untrusted": 1,
    "data": 2,
    "training": 3,
    "evaluation": 4,
    "explain": 4,
    "drawings": 5,
    "jobs": 6,
    "cli": 7,
}
"""A package may import from packages of a lower number only (and from itself)."""

MOST_TOP_MODULES = 10


def module_name(path, root=ROOT):
    name = ".".join(path.relative_to(root).with_suffix("").parts)
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def modules(folder=CORE):
    return {module_name(p): p for p in sorted(folder.rglob("*.py"))}


def imports_of(name, path):
    """`(imported module or name, line, names)` for every import in the file, lazy ones too."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            found.append((base, node.lineno, tuple(alias.name for alias in node.names)))
    return found


def targets(name, path, known):
    """The project modules `name` imports: `from a.b import c` counts `a.b` (its `__init__` runs
    first) and `a.b.c` where that is a module; so a module that imports a sibling through its
    own package's `__init__`, which imports that module back, is a circle."""
    result = []
    for base, line, names in imports_of(name, path):
        for target in [base] + [f"{base}.{n}" for n in names]:
            if target in known and target != name:
                result.append((target, line))
    return result


def package_of(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and (CORE / parts[1]).is_dir() else "foundation"


def graph(folder):
    known = modules(folder)
    return known, {name: targets(name, path, known) for name, path in known.items()}


def circles(edges):
    """Each import circle once, as a list of modules ending where it starts."""
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for target, _ in edges.get(node, ()):
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = "done"

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    return found


def test_mnist_core_has_no_import_circle():
    _, edges = graph(CORE)
    assert circles(edges) == []


def test_the_ui_has_no_import_circle():
    known = {**modules(ROOT / "ui"), "streamlit_app": ROOT / "streamlit_app.py"}
    edges = {name: targets(name, path, known) for name, path in known.items()}
    assert circles(edges) == []


def test_every_package_imports_only_from_lower_layers():
    known, edges = graph(CORE)
    assert {package_of(name) for name in known} <= set(LAYERS), "a package missing from LAYERS"
    climbing = [f"{name} -> {target} (line {line})"
                for name, found in edges.items() for target, line in found
                if package_of(name) != package_of(target)
                and LAYERS[package_of(target)] >= LAYERS[package_of(name)]
                and name != "mnist_core.__main__"]
    assert climbing == []


def test_mnist_core_knows_nothing_of_the_ui():
    offending = [f"{name} imports {base} (line {line})"
                 for name, path in modules(CORE).items()
                 for base, line, _ in imports_of(name, path)
                 if base.split(".")[0] in ("streamlit", "ui", "streamlit_app")]
    assert offending == []


def test_no_package_uses_another_packages_private_names():
    known = modules(CORE)
    known.update(modules(ROOT / "ui"))
    known["streamlit_app"] = ROOT / "streamlit_app.py"
    offending = []
    for name, path in known.items():
        here = package_of(name) if name.startswith("mnist_core.") else "ui"
        tree = ast.parse(path.read_text())
        aliases = {}  # a local name bound to another package's module
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                    "mnist_core"):
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                there = package_of(full if full in known else node.module)
                if there == here:
                    continue
                if alias.name.startswith("_"):
                    offending.append(f"{name}:{node.lineno} imports {node.module}.{alias.name}")
                if full in known:
                    aliases[alias.asname or alias.name] = full
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                offending.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert offending == []


def test_no_module_re_exports_names_under_a_noqa():
    offending = [f"{name}:{number}" for name, path in modules(CORE).items()
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if line.startswith(("from ", "import ")) and "noqa: F401" in line]
    assert offending == []


def test_few_modules_stay_at_the_top():
    top = [p.name for p in CORE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(top) <= MOST_TOP_MODULES, sorted(top)


@pytest.mark.parametrize("package", sorted(set(LAYERS) - {"foundation"}))
def test_each_package_says_what_it_is_and_lists_its_public_names(package):
    init = CORE / package / "__init__.py"
    tree = ast.parse(init.read_text())
    docstring = ast.get_docstring(tree)
    assert docstring and docstring.startswith(f"{package}:"), "a docstring naming the package"
    module = importlib.import_module(f"mnist_core.{package}")
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == [] and all(not name.startswith("_") for name in module.__all__)


@pytest.mark.parametrize("entry", [paths.TRAIN_WORKER, paths.SPARE_WORKER, paths.MODEL_CHECK,
                                   paths.SANDBOX_WORKER])
def test_each_child_process_entry_point_is_a_module_its_package_does_not_import(entry):
    # `python -m pkg.mod` imports pkg first: were `mod` among what pkg imports, it would be
    # imported twice, and runpy warns on the child's stderr.
    known, edges = graph(CORE)
    assert entry in known
    reached, todo = set(), [entry.rsplit(".", 1)[0]]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += [target for target, _ in edges[name]]
    assert entry not in reached


def test_the_project_root_is_named_once():
    offending = [f"{name}" for name, path in modules(CORE).items()
                 if "parent.parent" in path.read_text() and name != "mnist_core.paths"]
    assert offending == []
