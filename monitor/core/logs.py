"""Logging to stdout/stderr, one event per line, secrets masked; no timestamps under journald."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable


class RedactFilter(logging.Filter):
    """Replaces every known secret in a log record's final text with ``***``.

    Belt and braces: our own messages never format secrets, but libraries (apprise, urllib3)
    may print a URL that carries a token.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.update(secrets)

    def update(self, secrets: Iterable[str]) -> None:
        """Replace the set of secrets to mask (longest first, so parts don't leak)."""
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        masked = text
        for secret in self.secrets:
            if secret in masked:
                masked = masked.replace(secret, "***")
        if masked != text:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "***")
        return True


REDACT = RedactFilter()
"""The process's one redaction filter; the daemon updates it with the configured secrets."""


def setup(level: str = "info") -> None:
    """Send logs to stderr; journald adds its own timestamps, a terminal gets ours."""
    under_journald = bool(os.environ.get("JOURNAL_STREAM"))
    fmt = "%(levelname)s %(name)s: %(message)s" if under_journald else (
        "%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt, datefmt="%Y-%m-%d %H:%M:%S"))
    handler.addFilter(REDACT)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # apprise, urllib3 and httpx (link probes) are chatty at INFO and print URLs (httpx every
    # request, token and password included); keep them to real problems.
    for chatty in ("apprise", "urllib3", "httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # The Modbus collector says once per device what failed; pymodbus would log it again, with
    # frame dumps, on every poll of a device that does not answer.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
