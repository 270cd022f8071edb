"""Which inventory device sent a message: its address as configured, or its host name resolved.

A device whose ``address`` is a host name is still its messages' sender: the names are resolved
when the receiver starts (a config load or reload starts a new one) and again every
``resolve_interval``, in a worker thread, never per message. A name that fails to resolve keeps
the addresses it had, so a DNS outage does not turn a known switch into a stranger. An address
written as an IP wins over a name that resolves to the same address.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Mapping

from monitor.core.addresses import is_ip, norm_address

log = logging.getLogger(__name__)

Labels = dict[str, str]
Lookup = Callable[[str], list[str]]
_ADDRESSES = 16  # addresses kept per name (a name with hundreds is not one device)


def lookup(name: str) -> list[str]:
    """The addresses ``name`` resolves to (A and AAAA), normalised; OSError when it does not."""
    infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_UDP)
    return sorted({norm_address(str(info[4][0])) for info in infos})[:_ADDRESSES]


class Senders:
    """Inventory address (IP or host name) -> device labels, and the charset of each sender.
    ``devices`` and ``charsets`` are replaced whole (never changed in place), so the receiver can
    read them while a refresh builds the next ones in a worker thread."""

    def __init__(self, devices: Mapping[str, Mapping[str, str]], charset: Mapping[str, str]) -> None:
        self.configured = {norm_address(a): dict(labels) for a, labels in devices.items()}
        self.names = sorted(a for a in self.configured if not is_ip(a))
        self.charset = dict(charset)
        self.resolved: dict[str, list[str]] = {}  # host name -> the addresses it had last
        self.devices, self.charsets = self.maps()

    def resolve(self, find: Lookup = lookup) -> tuple[dict[str, Labels], dict[str, str]]:
        """Resolve every host name (blocking: run it in a worker thread) and return the maps
        to swap in; a name that fails keeps its last addresses and is logged."""
        for name in self.names:
            try:
                addresses = find(name)
            except (OSError, UnicodeError) as err:
                log.warning("syslog: cannot resolve device address %r (%s); %s", name, err,
                            f"keeping {', '.join(self.resolved[name])}" if self.resolved.get(name)
                            else "its messages are kept under their sender's address")
                continue
            if addresses != self.resolved.get(name):
                log.info("syslog: device address %r is %s", name, ", ".join(addresses) or "nothing")
            self.resolved[name] = addresses
        return self.maps()

    def maps(self) -> tuple[dict[str, Labels], dict[str, str]]:
        """(sender address -> labels, sender address -> charset) from what is known now."""
        devices: dict[str, Labels] = {}
        for name in self.names:
            for address in self.resolved.get(name, ()):
                devices.setdefault(address, self.configured[name])
        devices.update(self.configured)  # an IP as configured wins over a name resolving to it
        charsets = {norm_address(k): v for k, v in self.charset.items()}
        for address, labels in devices.items():
            name = labels.get("device", "")
            if name in self.charset:
                charsets[address] = self.charset[name]
        for name in self.names:  # "[syslog.charset] sw.example = ..." keyed by the host name itself
            if name in charsets:
                for address in self.resolved.get(name, ()):
                    charsets.setdefault(address, charsets[name])
        return devices, charsets
