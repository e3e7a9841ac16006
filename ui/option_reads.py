"""Streamlit's configuration options read without its configuration lock.

Streamlit (1.67) reads an option (`config.get_option`) under one process-wide lock, and a run
reads several for every element it sends (`populate_hash_if_needed`: the size above which a
message is cached), its widgets and its start and end. With many pages running at once the lock
becomes a queue: a thread holding it loses the interpreter's lock to another page's thread,
and every thread that reaches an option meanwhile sleeps on the configuration lock until the
holder runs again, each handing it on only as it gets the interpreter back. With 100 visitors
drawing on a 2-core Zen 1, py-spy found 3.4 of the server's threads waiting there on average,
the interpreter's lock held only 64 % of the time while strokes queued for seconds
(bench/README.md, fourteenth pass).

The table of options is parsed once, before the server starts (`get_config_options(
force_reparse=True)` in Streamlit's bootstrap), then only read: `st.set_option` changes an
option's value in place, one attribute. Streamlit's own `get_config_options` and its metrics
read that table without the lock; so does this, and leaves an option the table does not hold,
or a table not yet parsed, to Streamlit's own function (its error, its parse).
"""

from ui.streamlit_patch import patch_once


def read_options_without_lock():
    """Makes `streamlit.config.get_option` read a parsed table of options without taking the
    configuration lock; returns whether it is in place (False: a Streamlit without that
    function or table, which then reads under its lock as before; or another's replacement,
    left in place)."""
    try:
        from streamlit import config
    except ImportError:
        return False
    current = config.get_option
    if not hasattr(config, "_config_options") or (
            not getattr(current, "reads_without_lock", False)
            and getattr(current, "__module__", None) != config.__name__):
        return False  # no table, or another's replacement (AppTest's, for its runs): left alone
    return patch_once(config, "get_option", "reads_without_lock", _without_lock)


def _without_lock(get_option):
    from streamlit import config

    def read_option(key):
        options = config._config_options  # parsed before the server started
        option = options.get(key) if options else None
        if option is None:
            return get_option(key)  # not parsed yet, or no such option: Streamlit's way
        return option.value

    read_option.original = get_option
    read_option.__doc__ = get_option.__doc__
    return read_option
