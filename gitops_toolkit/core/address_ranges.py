"""Address ranges as people write them: a CIDR (`10.244.0.0/16`) or FIRST-LAST (`192.168.1.240-192.168.1.250`,
MetalLB's form), as the networks they cover."""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks_of(text: str) -> list[Network]:
    """The networks a CIDR or FIRST-LAST range covers; ValueError says what is wrong."""
    first, _, last = text.strip().partition("-")
    if not last:
        return [ipaddress.ip_network(first)]
    start, end = ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip())
    if start.version != end.version or int(start) > int(end):
        raise ValueError("the range ends before it starts")
    return list(ipaddress.summarize_address_range(start, end))


def overlap(first: list[Network], second: list[Network]) -> bool:
    return any(a.version == b.version and a.overlaps(b) for a in first for b in second)
