"""The theme in Streamlit's new-session message, filled once per reading of the configuration.

Every run, a stroke's fragment run too, starts with a `new_session` message carrying the whole
theme. Streamlit (1.67) fills each of its six sections (`_populate_theme_msg`) by scanning every
configuration option, ~1.1 ms of a stroke's ~35 on a Zen 1 CPU (bench/README.md), to send the
same values each time: the theme comes only from the configuration file, flags and environment
(`st.set_option` takes `client.*` options only), and reading them anew replaces the whole table
of options. So each section's filled message is kept with the table it was read from, and
copied into later messages while that table is the one in use.
"""

from ui.streamlit_patch import patch_once


def fill_theme_once():
    """Makes Streamlit fill each theme section of its new-session message once per table of
    options; returns whether it is in place (False: a Streamlit without that function, which
    then fills the theme at every run as before)."""
    try:
        from streamlit.runtime import app_session
    except ImportError:
        return False
    return patch_once(app_session, "_populate_theme_msg", "filled_once", _filled_once)


def _filled_once(populate):
    from streamlit import config

    filled = {}  # section -> (the options table it was read from, its message or None)

    def populate_theme_msg(msg, section="theme"):
        options = config._config_options
        kept = filled.get(section)
        if kept is None or kept[0] is not options:
            populate(msg, section)
            # A section with nothing set leaves its message untouched, absent from the
            # new-session message: a copy of an empty one would make it present.
            copy = None
            if msg.ListFields():
                copy = type(msg)()
                copy.CopyFrom(msg)
            # The table is held, so no later table can take its identity.
            filled[section] = (options, copy)
        elif kept[1] is not None:
            msg.CopyFrom(kept[1])

    populate_theme_msg.original = populate
    return populate_theme_msg
