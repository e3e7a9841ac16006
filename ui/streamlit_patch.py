"""Replacing one of Streamlit's private methods, once, where it is there.

Several modules of the page change a private Streamlit method (1.67) the same way: look it up,
change nothing where a newer Streamlit has no such name (the page then only loses what the
patch gave, it does not break), and mark the replacement so that a second call (each run of
the page makes them) finds it in place.
"""


def patch_once(owner, name, mark, wrap):
    """Replaces `owner.name` (a class's method, a module's function) by `wrap(current)`, marked
    `mark`, unless the one there already carries that mark.

    Args:
        owner: the class or module holding it.
        name: the attribute's name.
        mark: the attribute set to True on the replacement.
        wrap: `current -> replacement`.

    Returns:
        True when the replacement is in place (now or from an earlier call); False where
        `owner` has no `name`.
    """
    current = getattr(owner, name, None)
    if current is None:
        return False
    if not getattr(current, mark, False):
        replacement = wrap(current)
        setattr(replacement, mark, True)
        setattr(owner, name, replacement)
    return True
