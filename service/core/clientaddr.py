"""The client's real address, for rate limits, logs and the download audit.

``X-Forwarded-For`` is believed only when the connection comes from a proxy named in ``MEDIADESK_TRUSTED_PROXIES``
(none by default), and then only up to the first address that is not itself a trusted proxy: a client cannot pick its
own address by sending the header. uvicorn runs with ``--no-proxy-headers`` so that this is the only place that
reads the header.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

from service.core.config import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_networks(value: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 172.18.0.1"`` → networks; raises ValueError on anything that is not an address or network."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


def _trusted(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def resolve(peer: str, forwarded_for: list[str], networks: tuple[Network, ...]) -> str:
    """The client address given the connecting ``peer`` and the ``X-Forwarded-For`` values (in header order)."""
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):  # the right end was written by our own proxy; the left end by whoever asked
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a proxy we trust would not write garbage: someone else did, believe nothing
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


#: What a request counts as when the server itself already replaced the peer by a header value (see below).
UNVERIFIED = "forwarded-unverified"


def client_address(request: HTTPConnection) -> str:
    """The address rate limits and the audit use (``"unknown"`` when the server gives none)."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.getlist("x-forwarded-for")
    if forwarded and request.client is not None and request.client.port == 0:
        # uvicorn started with --proxy-headers put a header value in place of the peer (its port is 0, which no TCP
        # peer has): the real peer is lost, so every such request shares one bucket instead of choosing its own.
        return UNVERIFIED
    return resolve(peer, forwarded, parse_networks(get_settings().trusted_proxies))
