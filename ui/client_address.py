"""The visitor's client address as the server knows it: the drawings store's limits per client
(`ui.drawings_store`) and the runs a client may have at once (`ui.client_share`) count by it."""

import ipaddress
import logging

import streamlit as st

from mnist_core import settings
from mnist_core.errors import MnistError

LOG = logging.getLogger("mnist_core.drawings.store")  # where deployers read the store's words


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
    ip = _plain_ip(address)
    if ip is None:
        return address
    forwarded = {entry.strip() for line in headers.get_all("X-Forwarded-For")
                 for entry in line.split(",")}
    from_header = str(address) in forwarded
    proxied = [name for name in PROXY_HEADERS if headers.get(name)]
    if proxied and (ip.is_loopback or ip.is_private or from_header) and not _told_proxy:
        _told_proxy.append(True)
        LOG.warning(
            "Visitors' requests carry a proxy's header (%s) while MNIST_CLIENT_HEADER is empty: "
            "the address seen is the proxy's own (every visitor one client) or one a visitor "
            "may write, so it is not trusted; set MNIST_CLIENT_HEADER to the header your proxy "
            "writes over the visitor's.", ", ".join(proxied))
    return None if ip.is_loopback or from_header else address


UNTRUSTED = "untrusted"
"""The one client of every page whose address the server saw but does not trust (`turns_client`)."""


def turns_client():
    """Whose runs a page's count among (`ui.client_share`): its client address; else, where the
    server saw an address but does not trust it, one client for all such pages (`UNTRUSTED`);
    None only where it saw none (a local run, Community Cloud).

    The drawings store leaves an address it does not trust out (`client_address`): a page
    writing its own address in `X-Forwarded-For` is then no client of the store's. Here no
    client would mean never waiting for a turn: such pages share one client instead, so that
    writing a header does not free a script's pages from the turns."""
    address = client_address()
    if address is not None:
        return address
    try:
        seen = st.context.ip_address
    except (AttributeError, RuntimeError):
        return None
    if seen is None:
        return None
    ip = _plain_ip(seen)
    if ip is not None and ip.is_loopback:
        return None  # this machine: a local run, or a proxy here (every visitor, as before)
    return UNTRUSTED


def _plain_ip(address):
    """`address` as an `ipaddress` address, an IPv4-mapped IPv6 one as its IPv4 address
    (::ffff:127.0.0.1 is 127.0.0.1); None when it is no address."""
    try:
        ip = ipaddress.ip_address(str(address))
    except ValueError:
        return None
    return (ip.ipv4_mapped or ip) if ip.version == 6 else ip
