"""DingTalk signed robots: apprise URL-quotes the signature and then lets requests quote it
again (``%2B`` → ``%252B``), which DingTalk rejects. Sign as DingTalk documents instead:
``sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))``, encoded once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import types
from typing import Any


def signature(secret: str, timestamp_ms: int) -> str:
    """The raw (not yet URL-encoded) signature of one request."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _get_signature(plugin: Any) -> tuple[str, str]:
    timestamp = round(time.time() * 1000)
    # requests URL-encodes query parameters itself; give it the plain base64 text.
    return str(timestamp), signature(plugin.secret, timestamp)


def fix(plugin: Any) -> Any:
    """Make an apprise DingTalk plugin sign once-encoded; other plugins pass unchanged."""
    if type(plugin).__name__ == "NotifyDingTalk" and getattr(plugin, "secret", None):
        plugin.get_signature = types.MethodType(_get_signature, plugin)
    return plugin
