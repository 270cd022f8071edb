"""The roomwatch-managed known_hosts file: look up, fetch and record SSH host keys.

A device's key is trusted only after a person confirmed its SHA256 fingerprint
(``roomwatch ssh trust DEVICE``); collection refuses unknown and changed keys.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # paramiko loads when a key is read or fetched, not with the config
    import paramiko

log = logging.getLogger(__name__)

# Serialises writers of one known_hosts file within this process (trust while the daemon runs).
_WRITE_LOCK = threading.Lock()


def host_entry(address: str, port: int) -> str:
    """The name OpenSSH and paramiko file a key under: ``addr`` for 22, ``[addr]:port`` else."""
    return address if port == 22 else f"[{address}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:…`` as ``ssh-keygen -lf`` prints it (unpadded base64 of the key blob's hash)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_key(path: Path, address: str, port: int) -> paramiko.PKey | None:
    """The recorded key for a host, if any (first key type found)."""
    if not path.exists():
        return None
    import paramiko

    keys = paramiko.HostKeys(str(path)).lookup(host_entry(address, port))
    if not keys:
        return None
    return next(iter(keys.values()))


def fetch_key(address: str, port: int, timeout: float) -> paramiko.PKey:
    """Ask the server for its host key (key exchange only, no authentication)."""
    import paramiko

    sock = socket.create_connection((address, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    finally:
        transport.close()
        sock.close()


def record(path: Path, address: str, port: int, key: paramiko.PKey) -> None:
    """Store ``key`` for the host, replacing any older key of the host; file mode 0600."""
    import paramiko

    with _WRITE_LOCK:
        keys = paramiko.HostKeys(str(path)) if path.exists() else paramiko.HostKeys()
        name = host_entry(address, port)
        if name in keys:
            del keys[name]
        keys.add(name, key.get_name(), key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        keys.save(str(tmp))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    log.info("recorded host key %s %s for %s", key.get_name(), fingerprint(key), name)
