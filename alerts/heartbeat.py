"""A dead-man heartbeat: a URL pinged while the daemon lives, so its silent death is noticed."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

log = logging.getLogger(__name__)


def due(last: float | None, now: float, interval: float) -> bool:
    """Whether the next ping is due."""
    return last is None or now >= last + interval


def ping(url: str, timeout: float = 10.0) -> bool:
    """GET the URL (healthchecks.io, Uptime Kuma push…); log failures without the URL."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            ok = 200 <= answer.status < 300
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "code", None) or type(err).__name__
        log.warning("heartbeat ping failed: %s", reason)
        return False
    if not ok:
        log.warning("heartbeat ping refused")
    return ok
