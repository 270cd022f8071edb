"""Turn an alert transition into a title and body people read (zh-CN first, English too)."""

from __future__ import annotations

import time

from monitor.model import Alert, AlertState

_WORDS = {
    "zh": {
        AlertState.FIRING: "告警",
        AlertState.RESOLVED: "恢复",
        AlertState.PENDING: "待定",
        "critical": "严重",
        "warning": "警告",
        "info": "提示",
        "severity": "级别",
        "device": "设备",
        "where": "位置",
        "what": "内容",
        "value": "数值",
        "since": "开始",
        "resolved": "恢复于",
        "clause": "依据",
        "rule": "规则",
    },
    "en": {
        AlertState.FIRING: "FIRING",
        AlertState.RESOLVED: "RESOLVED",
        AlertState.PENDING: "PENDING",
        "critical": "critical",
        "warning": "warning",
        "info": "info",
        "severity": "Severity",
        "device": "Device",
        "where": "Where",
        "what": "What",
        "value": "Value",
        "since": "Since",
        "resolved": "Resolved at",
        "clause": "Clause",
        "rule": "Rule",
    },
}


def render(alert: Alert, lang: str = "zh") -> tuple[str, str]:
    """Title and body of one alert transition."""
    words = _WORDS.get(lang, _WORDS["zh"])
    labels = alert.labels
    device = labels.get("device", "?")
    title = f"[{words[alert.state]}][{words[alert.severity.value]}] {device} {alert.summary or alert.rule}"
    place = " / ".join(labels[k] for k in ("site", "room") if labels.get(k))
    lines = [
        f"{words['what']}: {alert.summary or alert.rule}",
        f"{words['device']}: {device}" + (f" ({place})" if place else ""),
        f"{words['value']}: {alert.value:g}",
        f"{words['since']}: {_clock(alert.active_at)}",
    ]
    if alert.state is AlertState.RESOLVED and alert.resolved_at is not None:
        lines.append(f"{words['resolved']}: {_clock(alert.resolved_at)}")
    extra = {k: v for k, v in labels.items() if k not in ("device", "site", "room", "kind", "level")}
    if extra:
        lines.append(", ".join(f"{k}={v}" for k, v in sorted(extra.items())))
    lines.append(f"{words['rule']}: {alert.rule}  {words['severity']}: {words[alert.severity.value]}")
    if alert.clause:
        lines.append(f"{words['clause']}: {alert.clause}")
    return title, "\n".join(lines)


def _clock(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
