"""Where a request comes from, for the per-address and global limits of the channels and the backend.

The peer's address, unless the peer is a trusted proxy (`TRUSTED_PROXIES`, loopback by default): then the
rightmost `X-Forwarded-For` hop that no trusted proxy added, since everything left of it the client may have
written itself. A request that is still loopback after that comes from this machine (a benchmark, the
end-to-end tests, a local proxy that sent no header) and is not limited per address or globally.
"""
from __future__ import annotations

import ipaddress
from typing import List, Optional, Sequence, Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
MAX_HOP_CHARS = 64


def parse_ip(text: str) -> Optional[IPAddress]:
    """An address from "a.b.c.d", "a.b.c.d:port", "v6" or "[v6]:port" (IPv4-mapped v6 as v4); None otherwise."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def parse_networks(text: str) -> List[IPNetwork]:
    """The comma-separated addresses and networks of a setting; entries that are neither are left out."""
    networks: List[IPNetwork] = []
    for item in text.split(","):
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue
    return networks


def _within(address: Optional[IPAddress], networks: Sequence[IPNetwork]) -> bool:
    """Whether `address` lies in one of `networks`."""
    return address is not None and any(address.version == n.version and address in n for n in networks)


def client_address(peer: str, forwarded_for: str, trusted: Sequence[IPNetwork]) -> str:
    """The address the request is attributed to (see the module docstring)."""
    peer_ip = parse_ip(peer)
    address = str(peer_ip) if peer_ip is not None else peer
    if not _within(peer_ip, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        hop_ip = parse_ip(hop)
        address = str(hop_ip) if hop_ip is not None else hop[:MAX_HOP_CHARS]
        if not _within(hop_ip, trusted):
            break
    return address


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (IPv4-mapped too): a caller on this machine."""
    parsed = parse_ip(address)
    return parsed is not None and parsed.is_loopback


def log_network(address: str) -> str:
    """The network of an address as logs show it (/24 for IPv4, /48 for IPv6), never the address itself."""
    parsed = parse_ip(address)
    if parsed is None:
        return "other"
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))
