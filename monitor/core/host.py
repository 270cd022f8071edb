"""This host's name as roomwatch shows it."""

from __future__ import annotations

import socket


def local_name() -> str:
    """This host's short name: the ``device`` label of what it observes itself."""
    return socket.gethostname().split(".")[0] or "localhost"
