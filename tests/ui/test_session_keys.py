"""The page's session-state keys live in ui/session_keys.py only: read from the source with `ast`.

A key is whatever indexes `st.session_state` (a subscript, `get`/`pop`/`setdefault`, an `in`
test, an attribute) and every widget's `key=`, since Streamlit keeps the widget's value under
it. Such a key must not hold a string literal, nor a constant (an upper-case name) this module
defines or imports from anywhere but `ui.session_keys`; a local variable (a key built from a
prefix there) is fine.
A container's `key=` only gives it a CSS class, so it may stay beside its CSS.
"""

import ast

import pytest

from tests.conftest import ROOT
from ui import session_keys

KEYS_MODULE = "ui.session_keys"
SOURCES = sorted(p for p in (ROOT / "ui").glob("*.py") if p.name != "session_keys.py") + [
    ROOT / "streamlit_app.py"]
STATE_METHODS = {"get", "pop", "setdefault"}
STATE_ATTRIBUTES = STATE_METHODS | {"clear", "keys", "values", "items", "update", "to_dict"}
NOT_WIDGETS = {"container"}  # `key=` of these is a CSS class, not session state


def _is_state(node):
    return (isinstance(node, ast.Attribute) and node.attr == "session_state"
            or isinstance(node, ast.Name) and node.id == "session_state")


def _called(func):
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def key_uses(tree):
    """`(line, key expression)` for every session-state key `tree` uses; an attribute access
    (`st.session_state.name`) comes back as the name, a string."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_state(node.value):
            yield node.lineno, node.slice
        elif (isinstance(node, ast.Attribute) and _is_state(node.value)
              and node.attr not in STATE_ATTRIBUTES):
            yield node.lineno, node.attr
        elif (isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn))
              and _is_state(node.comparators[0])):
            yield node.lineno, node.left
        elif isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr in STATE_METHODS
                    and _is_state(func.value) and node.args):
                yield node.lineno, node.args[0]
            if _called(func) not in NOT_WIDGETS:
                yield from ((node.lineno, k.value) for k in node.keywords
                            if k.arg == "key" and not isinstance(k.value, ast.Lambda))


def _foreign_names(tree):
    """Names bound at the top of a module other than by an import from `ui.session_keys`."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names
                      if KEYS_MODULE not in (node.module, f"{node.module}.{alias.name}")}
        elif isinstance(node, ast.Import):  # `import ui.session_keys as keys` gives `keys.X`
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names
                      if not (alias.name == KEYS_MODULE and alias.asname)}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _parts(expression):
    """The nodes of a key expression, leaving out f-strings' format specs (`{n:02d}`)."""
    yield expression
    for child in ast.iter_child_nodes(expression):
        if not (isinstance(expression, ast.FormattedValue) and child is expression.format_spec):
            yield from _parts(child)


def _root(attribute):
    while isinstance(attribute, ast.Attribute):
        attribute = attribute.value
    return getattr(attribute, "id", None)


def stray_keys(source):
    """`(line, what)` for each key of `source` written outside ui/session_keys.py."""
    tree = ast.parse(source)
    foreign = _foreign_names(tree)
    found = []
    for line, key in key_uses(tree):
        if isinstance(key, str):
            found.append((line, f"st.session_state.{key}"))
            continue
        for part in _parts(key):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                found.append((line, repr(part.value)))
            elif isinstance(part, ast.Name) and part.id in foreign and part.id.isupper():
                found.append((line, part.id))  # a constant of this module or another's
            elif (isinstance(part, ast.Attribute) and part.attr.isupper()
                  and _root(part) in foreign):
                found.append((line, ast.unparse(part)))
    return found


def constants():
    return {name: value for name, value in vars(session_keys).items() if name.isupper()}


def test_no_module_of_the_page_writes_a_session_key_of_its_own():
    stray = {str(path.relative_to(ROOT)): found for path in SOURCES
             if (found := stray_keys(path.read_text(encoding="utf-8")))}
    assert not stray, f"session keys outside ui/session_keys.py (line, key): {stray}"


@pytest.mark.parametrize("source", [
    'st.session_state["model_choice"] = 1',
    'del st.session_state["vanished_model"]',
    'st.session_state.get("language", "en")',
    'st.session_state.setdefault("owner", 1)',
    '"cell_true" in st.session_state',
    'st.session_state.owner',
    'st.slider("Stroke", key="stroke_width")',
    'st_canvas(key=f"canvas_{clears}")',
    'OPEN = "inside_open"\nst.toggle("Inside", key=OPEN)',
    'from ui.tabs import KEY\nst.tabs([], key=KEY)',
    'import ui.follow\nst.session_state[ui.follow.SEEN]',
])
def test_the_check_finds_a_key_written_outside_the_keys_module(source):
    assert stray_keys(source)


@pytest.mark.parametrize("source", [
    'from ui.session_keys import OWNER\nst.session_state[OWNER]\nst.session_state.get(OWNER)',
    'from ui.session_keys import RECIPE\nst.selectbox("Recipe", [], key=RECIPE)',
    'from ui.session_keys import CANVAS_PREFIX\nst_canvas(key=f"{CANVAS_PREFIX}{n:02d}")',
    'import streamlit as st\nfrom ui.session_keys import CANVAS_CLEARS, CANVAS_PREFIX\n'
    'st_canvas(key=f"{CANVAS_PREFIX}{st.session_state.get(CANVAS_CLEARS, 0)}")',
    'from ui import session_keys as keys\nst.toggle("Inside", key=keys.INSIDE_OPEN)',
    'def chosen(key):\n    return st.session_state.get(key)',
    'VIEW = "inside_view"\nst.container(key=VIEW)',
    'sorted(rows, key=lambda row: row["name"])',
    'st.session_state.get(OWNER) if "owner" in settings else None',
])
def test_the_check_accepts_keys_from_the_keys_module(source):
    assert not stray_keys(source)


def test_every_key_is_a_distinct_string():
    values = list(constants().values())
    assert values and all(isinstance(v, str) and v for v in values)
    assert len(set(values)) == len(values), "two keys share a value: one would overwrite the other"


def test_every_key_says_who_writes_and_reads_it():
    body = ast.parse((ROOT / "ui" / "session_keys.py").read_text(encoding="utf-8")).body
    for node, after in zip(body, body[1:] + [None]):
        if isinstance(node, ast.Assign):
            doc = (after.value.value if isinstance(after, ast.Expr)
                   and isinstance(after.value, ast.Constant) else "")
            assert "ui." in doc and "\n" not in doc, (
                f"{node.targets[0].id} needs a one-line docstring naming the modules using it")


def test_every_key_is_used_by_the_page():
    used = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == KEYS_MODULE:
                used |= {alias.name for alias in node.names}
    assert used <= set(constants()), "a module imports a name ui/session_keys.py lacks"
    assert set(constants()) - used == set(), "a key no module uses any more"
