"""The server process's one handle on the drawings store, this session's anonymous id, the
visitor's client address as the server knows it, and the labels judged (`drawings.trust`)."""

import ipaddress
import secrets
import threading

import streamlit as st

from mnist_core import settings
from mnist_core.drawings import store as drawings_db
from mnist_core.drawings import trust
from mnist_core.errors import MnistError
from ui import resources
from ui.session_keys import DRAWINGS_SESSION

LIMITS = ("MNIST_DRAWINGS_MAX_ROWS", "MNIST_DRAWINGS_MAX_MB", "MNIST_DRAWINGS_PER_MINUTE",
          "MNIST_DRAWINGS_PER_SESSION", "MNIST_DRAWINGS_PER_CLIENT", "MNIST_DRAWINGS_PER_HOUR",
          "MNIST_DRAWINGS_PER_CLIENT_HOUR",
          "MNIST_DRAWINGS_MAX_SHARE", "MNIST_TRUST_MIN_PROBABILITY", "MNIST_CLIENT_HEADER")
"""The deployer's limits a recording reads."""


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(where):
    return drawings_db.DrawingsDB(where)


def store():
    """The `DrawingsDB` of `MNIST_DRAWINGS_URL`'s server or `MNIST_DRAWINGS_DB`'s file
    (`drawings.store.location`, as the command line), or None when the deployer switched
    recording off (`MNIST_COLLECT_DRAWINGS=0`) or set an unusable value (the log says which)."""
    try:
        if not drawings_db.collecting():
            return None
        for limit in LIMITS:  # read here, so an unusable one never meets a visitor's correction
            settings.get(limit)
        return _store(str(drawings_db.location()))
    except MnistError as error:
        drawings_db.log.warning("%s", error)
        return None


def session_id():
    """This session's anonymous id (16 random hex digits), stored with its drawings.

    Random, drawn when the session first records, derived from nothing about the visitor (not
    the training owner token, which is a secret that cancels trainings).
    """
    return st.session_state.setdefault(DRAWINGS_SESSION, secrets.token_hex(8))


def client_address():
    """The visitor's address as a plain string, or None where the server does not know it (a
    local run): `MNIST_CLIENT_HEADER`'s last entry behind a proxy (the one the proxy wrote, not
    the visitor), else the connection's. The store keeps only a keyed hash of it.

    A visitor may send the header too, even several times: a proxy that adds its own line
    (HAProxy's `option forwardfor`) rather than appending to the visitor's leaves the visitor's
    line first, so the last entry of the last line is taken, never the first line's."""
    try:
        header = settings.get("MNIST_CLIENT_HEADER")
        if header:
            lines = st.context.headers.get_all(header)
            return (lines[-1].split(",")[-1].strip() or None) if lines else None
        return _connection_address(st.context.ip_address, st.context.headers)
    except (MnistError, AttributeError, RuntimeError):
        return None


PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
_told_proxy = []


def _connection_address(address, headers):
    """The connection's address; None for a loopback one (a local run, or a proxy on this
    machine: every visitor would be one client) and for one taken from `X-Forwarded-For`.

    Measured on Streamlit 1.67: a dual-stack server sees a local IPv4 connection as
    ::ffff:127.0.0.1, which `st.context.ip_address` does not leave out as it does 127.0.0.1;
    and a server bound to 127.0.0.1 (the usual set-up behind a proxy) takes the address from
    `X-Forwarded-For` (uvicorn trusts that header from loopback), which a visitor may write
    when the proxy passes theirs on, and anyone on this machine always. A header the deployer
    did not name (`MNIST_CLIENT_HEADER`) is never believed; the deployer's log says so once."""
    try:
        ip = ipaddress.ip_address(str(address))
    except ValueError:
        return address
    ip = ip.ipv4_mapped or ip if ip.version == 6 else ip
    forwarded = {entry.strip() for line in headers.get_all("X-Forwarded-For")
                 for entry in line.split(",")}
    from_header = str(address) in forwarded
    proxied = [name for name in PROXY_HEADERS if headers.get(name)]
    if proxied and (ip.is_loopback or ip.is_private or from_header) and not _told_proxy:
        _told_proxy.append(True)
        drawings_db.log.warning(
            "Visitors' requests carry a proxy's header (%s) while MNIST_CLIENT_HEADER is empty: "
            "the address seen is the proxy's own (every visitor one client) or one a visitor "
            "may write, so it is not trusted; set MNIST_CLIENT_HEADER to the header your proxy "
            "writes over the visitor's.", ", ".join(proxied))
    return None if ip.is_loopback or from_header else address


_judging = threading.Lock()
"""Held while one session of this process judges labels: every visitor's page asks at each
rerun, and a script's burst of drawings judged by each of them at once would multiply the
work by the number of visitors; the others go on with what is judged so far."""


def judged(db):
    """Judges the labels not yet judged (`trust.assess`) with the page's cached reference model;
    a failure leaves them pending (the log says why) and the page as it was. When another
    session of this process is judging them, this page neither waits nor judges them again."""
    def cached(path):
        loaded, predictor = resources.saved_model(str(path), resources.file_version(path))
        return loaded.metadata, predictor

    if not _judging.acquire(blocking=False):
        return
    try:
        if trust.pending(db):
            trust.assess(db, trust.reference_predictor(loader=cached))
    except MnistError as error:
        drawings_db.log.warning("Visitors' labels were not judged: %s", error)
    finally:
        _judging.release()
