"""Which network a client address counts as, for limits (no Django: the front server uses it).

An IPv6 client is its /64: one subscriber line gets a whole /64, so counting each of its
addresses apart would give it 2^64 budgets. An IPv4-mapped IPv6 address is its IPv4
address; anything that is not an address is itself.
"""

from __future__ import annotations

import ipaddress


def client_network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
