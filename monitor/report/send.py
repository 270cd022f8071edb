"""Send a finished report through the notification receivers (``[notify] urls``, apprise).

A receiver that takes attachments (mail, and the IM plugins apprise gives attachment support)
gets the file; the others get the summary and where the file was saved. This is a seam the
notification pipeline can take over: one function, receivers chosen by a short name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from monitor.core.errors import NotifyError

log = logging.getLogger(__name__)


def choose(receivers: Mapping[str, Sequence[str]], receiver: str) -> list[str]:
    """The URLs ``receiver`` names: a receiver of ``[notify]`` (``default`` is ``[notify] urls``,
    others are ``[[notify.receivers]]`` names), ``all``, an index into ``[notify] urls`` (``0``…)
    or a scheme (``mailto``, ``dingtalk``, ``json``…). Raises ValueError naming what exists."""
    every = list(dict.fromkeys(u for urls in receivers.values() for u in urls))
    if receiver in receivers:
        chosen = list(receivers[receiver])
    elif receiver == "all":
        chosen = every
    elif receiver.isdigit():
        default = list(receivers.get("default", ()))
        index = int(receiver)
        chosen = [default[index]] if index < len(default) else []
    else:
        chosen = [u for u in every if u.split("://", 1)[0].lower() == receiver.lower()]
    if not chosen:
        names = ", ".join(sorted(receivers)) or "none"
        schemes = ", ".join(sorted({u.split("://", 1)[0] for u in every})) or "none"
        raise ValueError(f"--send {receiver!r}: no receiver matches (receivers: {names}; schemes: "
                         f"{schemes}); use a receiver name, all, an index of notify.urls or a scheme")
    return chosen


def send(urls: Sequence[str], *, title: str, body: str, attachment: Path) -> list[str]:
    """Deliver to every URL; returns the secret-free names delivered to. Raises NotifyError
    (naming the receiver by its privacy-masked URL) for the first that fails, after trying all."""
    import apprise

    sent: list[str] = []
    failed: list[str] = []
    for url in urls:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            failed.append(f"{url.split('://', 1)[0]}://…: not a URL apprise understands")
            continue
        name = plugin.url(privacy=True).split("?", 1)[0]
        if getattr(plugin, "attachment_support", False):
            ok = plugin.notify(body=body, title=title, attach=apprise.AppriseAttachment(str(attachment)))
        else:
            ok = plugin.notify(body=f"{body}\n{attachment}", title=title)
        (sent if ok else failed).append(name if ok else f"{name}: refused")
    if failed:
        raise NotifyError("report not delivered to " + "; ".join(failed), retryable=True)
    return sent
