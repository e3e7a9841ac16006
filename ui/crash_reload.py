"""A page whose app crashed in the browser reloads itself, rather than staying blank.

Streamlit's page (1.67) applies each element the server sends at a position in its tree of
elements; an element it cannot place ("Bad delta path index 2 (should be between [0, 1])")
throws while React draws, and React then removes the whole app: the visitor is left with a
white page, no error, and a closed connection. The one cause found (a whole-page run started
inside a fragment's container) is fixed where it starts (`ui.page_top`); this is the net
for any other: reloading is what the visitor would do, and all the page can do (a new
session, drawn whole).

The script is the page's own (`st.html` with `unsafe_allow_javascript`), installed once per
browser page, its element hidden (it would add a gap above the title); it reloads only for
the errors of Streamlit's element tree, at most once a minute (`sessionStorage`), so an app
that crashed again at once does not reload without end.
"""

import streamlit as st

RELOAD_AT_MOST_EVERY_S = 60
FATAL = r"Bad delta path|Cannot set a node at a delta path|'setIn' cannot be called"
"""Messages of the errors that remove Streamlit's whole app from the page (its element tree)."""

SCRIPT_ID = "mnist-crash-reload"
SCRIPT = f"""<style>
div[data-testid="stElementContainer"]:has(script#{SCRIPT_ID}) {{ display: none; }}
</style>
<script id="{SCRIPT_ID}">
(() => {{
  if (window.mnistCrashReload) return;
  window.mnistCrashReload = true;
  const fatal = /{FATAL}/;
  window.addEventListener("error", (event) => {{
    if (!fatal.test(String(event.message || ""))) return;
    let last = 0;
    try {{ last = Number(window.sessionStorage.getItem("mnistCrashReload")) || 0; }} catch (e) {{}}
    if (Date.now() - last < {RELOAD_AT_MOST_EVERY_S * 1000}) return;
    try {{ window.sessionStorage.setItem("mnistCrashReload", String(Date.now())); }}
    catch (e) {{ return; }}  // no way to remember it: no reload, never a loop
    window.location.reload();
  }});
}})();
</script>"""


def reload_after_a_crash():
    """Installs the page's crash watch (call once per full run; it takes no room)."""
    st.html(SCRIPT, unsafe_allow_javascript=True)
