"""One spelling per IP address, so a sender's address finds its inventory device."""

from __future__ import annotations

import ipaddress


def norm_address(address: str) -> str:
    """One spelling per IP address (IPv4-mapped IPv6 as IPv4, no zone); names are lower-cased."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address.strip().lower()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def is_ip(address: str) -> bool:
    """Whether ``address`` is an IP address (not a host name)."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
