"""What alert matchers see: an alert's labels plus ``alertname`` (its rule) and ``severity``, so a
route can say ``severity=critical`` and a silence ``alertname=device_down``. The matchers
themselves are the kernel's (``monitor.core.matchers``), the same for rules and routes."""

from __future__ import annotations

from monitor.core.model import Alert


def alert_labels(alert: Alert) -> dict[str, str]:
    """The labels matchers see: the alert's own plus ``alertname`` and ``severity``."""
    return {**alert.labels, "alertname": alert.rule, "severity": alert.severity.value}
