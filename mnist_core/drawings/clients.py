"""Who counts as one client of the store: an address's group (its IPv6 /64, an IPv4 address
without its port), and the keyed hash of it that a row keeps in place of the address."""

import hashlib
import hmac
import ipaddress

from mnist_core.drawings.row import CLIENT_HEX


def client_hash(db, client):
    """`CLIENT_HEX` hex digits of HMAC-SHA256(the store's own random key, `client_key`, the
    address's group): the same address gives the same hash in this store, and the store alone
    does not give the address back (IPv4's 4 billion addresses would be hashed through in
    seconds without the key).

    Args:
        db: a connection of the store, in the transaction that records the row."""
    key = db.execute("SELECT key FROM client_key").fetchone()[0]
    return hmac.new(key, client_group(client).encode(), hashlib.sha256).hexdigest()[:CLIENT_HEX]


IPV6_HELD = 64
"""Prefix length of the IPv6 network one visitor holds: a home line or a phone is given a
whole /64 and picks its addresses in it at will (RFC 4941's temporary addresses rotate by
themselves), so one visitor could otherwise be as many clients as they like."""


def client_group(client):
    """What counts as one client: an IPv6 address's /64 network, an IPv4-mapped IPv6 address's
    IPv4 address, any other address as written (an IPv4 address, or text that is no address).

    A port is no part of it (Azure's `X-Forwarded-For` writes `203.0.113.8:51234`, a new port at
    each connection), nor the brackets of `[2001:db8::1]:443` or the words of a `Forwarded`
    header's entry (`for="[2001:db8::1]";proto=https`)."""
    text = str(client).strip()
    for part in text.split(";"):  # RFC 7239: for=...;proto=...;by=...
        if part.strip().lower().startswith("for="):
            text = part.strip()[4:].strip('"')
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # IPv4:port (an IPv6 address has two colons at least)
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text.split("%")[0])  # "%eth0": a zone, not the address
    except ValueError:
        return text
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_HELD}", strict=False))
    return str(address)


__all__ = ["IPV6_HELD", "client_group", "client_hash"]
