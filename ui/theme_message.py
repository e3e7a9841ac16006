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
            try:
                root, target = _section_alone(section)
            except AttributeError:  # a section this module does not know: Streamlit's way
                populate(msg, section)
                return
            populate(target, section)
            # Absent where Streamlit left it so (nothing set). The table is held, so no later
            # table can take its identity.
            kept = filled[section] = (options, target if root.HasField("custom_theme") else None)
        if kept[1] is not None:
            # Present in the message, as Streamlit's filling left it, even with no field set
            # (`base = "light"` is the enum's default); merged, so that whichever sections
            # were filled into it before stay.
            msg.SetInParent()
            msg.MergeFrom(kept[1])

    populate_theme_msg.original = populate
    return populate_theme_msg


def _section_alone(section):
    """A new-session message of its own, and the message of its `section` ("theme",
    "theme.light.sidebar"...) in it, for Streamlit to fill.

    Raises:
        AttributeError: the section names no field of the message.
    """
    from streamlit.proto.NewSession_pb2 import NewSession

    root = NewSession()
    target = root.custom_theme
    for part in section.split(".")[1:]:
        target = getattr(target, part)
    return root, target
