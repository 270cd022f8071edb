"""Talk to systemd: the sd_notify protocol (READY, RELOADING, STOPPING, WATCHDOG, STATUS).

Written out rather than pulled in: it is one datagram to the socket named by NOTIFY_SOCKET.
Outside systemd (no NOTIFY_SOCKET) every call is a cheap no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


def notify(*fields: str) -> bool:
    """Send ``fields`` (e.g. ``"READY=1"``, ``"STATUS=…"``) to systemd; False if not under it."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path  # '@' = abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(fields).encode())
    except OSError as err:
        log.warning("sd_notify to %s failed: %s", path, err.strerror)
        return False
    return True


def reloading() -> bool:
    """Tell systemd a reload started (RELOADING=1 needs MONOTONIC_USEC from systemd 253 on)."""
    return notify("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")


def watchdog_period() -> float | None:
    """How often to send WATCHDOG=1: half of WATCHDOG_USEC, if the watchdog is meant for us."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return max(0.01, int(usec) / 2e6)
    except ValueError:
        return None
