"""ui/streamlit_patch.patch_once: a private method replaced once, and nothing where it is gone."""

import types

from ui.streamlit_patch import patch_once


def _doubling(current):
    return lambda x: 2 * current(x)


def test_a_method_is_replaced_once_however_often_it_is_patched():
    owner = types.SimpleNamespace(method=lambda x: x + 1)
    assert patch_once(owner, "method", "doubles", _doubling)
    assert patch_once(owner, "method", "doubles", _doubling)  # in place: not wrapped again
    assert owner.method(1) == 4
    assert owner.method.doubles is True


def test_a_name_streamlit_no_longer_has_is_left_alone():
    owner = types.SimpleNamespace()
    assert not patch_once(owner, "method", "doubles", _doubling)
    assert not hasattr(owner, "method")
