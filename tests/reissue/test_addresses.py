"""Where a request comes from: the peer, or behind trusted proxies the last hop they did not add themselves."""
from __future__ import annotations

import pytest

from reissue.addresses import client_address, is_loopback, log_network, parse_networks

LOOPBACK = parse_networks("127.0.0.1,::1")


@pytest.mark.parametrize(
    "peer, forwarded_for, expected",
    [
        ("198.51.100.9", "203.0.113.1", "198.51.100.9"),  # not a trusted proxy: its header is ignored
        ("127.0.0.1", "", "127.0.0.1"),  # a local caller, no proxy in between
        ("127.0.0.1", "203.0.113.1", "203.0.113.1"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.1", "203.0.113.1"),  # what the client wrote itself is to the left
        ("127.0.0.1", "203.0.113.1, 127.0.0.1", "203.0.113.1"),  # two local proxies
        ("::ffff:127.0.0.1", "203.0.113.1", "203.0.113.1"),  # IPv4-mapped loopback
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("127.0.0.1", "203.0.113.1:51234", "203.0.113.1"),
        ("127.0.0.1", "[2001:db8::5]:443", "2001:db8::5"),
        ("127.0.0.1", "unknown", "unknown"),  # a proxy that wrote something else: counted as written
        ("127.0.0.1", "127.0.0.1", "127.0.0.1"),
    ],
)
def test_client_address(peer: str, forwarded_for: str, expected: str) -> None:
    """The rightmost hop not added by a trusted proxy."""
    assert client_address(peer, forwarded_for, LOOPBACK) == expected


def test_proxies_can_be_networks() -> None:
    """TRUSTED_PROXIES accepts addresses and CIDR networks; junk entries are left out."""
    trusted = parse_networks("10.0.0.0/8, 127.0.0.1 ,not-an-address,")
    assert [str(n) for n in trusted] == ["10.0.0.0/8", "127.0.0.1/32"]
    assert client_address("10.1.2.3", "203.0.113.1, 10.9.9.9", trusted) == "203.0.113.1"
    assert client_address("192.168.1.1", "203.0.113.1", trusted) == "192.168.1.1"


@pytest.mark.parametrize("address, loopback", [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                               ("::ffff:127.0.0.1", True), ("203.0.113.1", False), ("unknown", False), ("", False)])
def test_is_loopback(address: str, loopback: bool) -> None:
    """Only this machine's own addresses are loopback."""
    assert is_loopback(address) is loopback


@pytest.mark.parametrize("address, shown", [("203.0.113.77", "203.0.113.0/24"), ("2001:db8:1:2::5", "2001:db8:1::/48"),
                                            ("unknown", "other")])
def test_log_network_hides_the_host(address: str, shown: str) -> None:
    """Logs name the network, not the address."""
    assert log_network(address) == shown
