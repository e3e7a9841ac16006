"""What the tests of scripts/serve_many.py share: the script as a module, protocol visitors
that ask nginx for a given process, and the processes under a pid."""

import contextlib
import contextvars
import http.cookiejar
import importlib.util
import urllib.request
from pathlib import Path

from tests.conftest import ROOT
from tests.stream_client import visitor as visitor_module
from tests.stream_client.page import Page, Widget

SCRIPT = ROOT / "scripts" / "serve_many.py"
START_SECONDS = 120
COOKIE = "mnist_backend"
"""nginx's routing cookie (deploy/nginx.conf.template)."""


def load_script():
    spec = importlib.util.spec_from_file_location("serve_many", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


serve_many = load_script()


class ReadPage(Page):
    """The client's page, also keeping the text shown and the "What did you draw?" pills."""

    def __init__(self):
        super().__init__()
        self.texts = []

    def _element(self, element, fragment_id):
        kind = element.WhichOneof("type")
        if kind in ("markdown", "alert"):  # st.caption, st.markdown; st.success, st.info
            self.texts.append(getattr(element, kind).body)
        elif kind == "button_group":
            proto = element.button_group
            self.widgets[proto.label] = Widget(proto.id, fragment_id, kind, proto)
        return super()._element(element, fragment_id)


ASKED = contextvars.ContextVar("asked")
"""The process a visitor being opened asks for, and the cookies it gets: `{"backend": "b1"}`.
`asyncio.to_thread`, which loads the page for the client, carries it to the loading thread."""


def page_cookies(base_url, timeout=30):
    """The client's page load (tests.stream_client.visitor.page_cookies), with the routing
    cookie of the process asked for already in the jar, as a returning browser has it."""
    asked = ASKED.get()
    jar = http.cookiejar.CookieJar()
    jar.set_cookie(http.cookiejar.Cookie(0, COOKIE, asked["backend"], None, False, "127.0.0.1",
                                         False, False, "/", True, False, None, False, None, None,
                                         {}))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for path in ("/", "/_stcore/health"):
        with opener.open(base_url + path, timeout=timeout) as answer:
            answer.read()
            assert answer.headers["X-Mnist-Backend"] == asked["backend"]
    asked["cookies"] = {cookie.name: cookie.value for cookie in jar}
    return jar


async def open_visitor(url, backend):
    """A visitor of process `backend` (b1, b2) whose first run has finished; and its cookies."""
    asked = {"backend": backend}
    ASKED.set(asked)
    visitor = visitor_module.Visitor(url, name=f"visitor of {backend}")
    visitor.page = ReadPage()
    await visitor.open(timeout=START_SECONDS)
    return visitor, asked["cookies"]


def descendants(pid):
    """Every living process under `pid`, from /proc (zombies left out: they are only records)."""
    children = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                          if ":\t" in line)
            if not fields["State"].startswith("Z"):
                children.setdefault(int(fields["PPid"]), []).append(int(status.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def alive(pid):
    with contextlib.suppress(OSError):
        return not Path(f"/proc/{pid}/status").read_text().split("State:\t")[1].startswith("Z")
    return False
