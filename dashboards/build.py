"""Write the Grafana dashboards (InfluxQL) from one description: ``python -m dashboards.build``.

The JSON files beside this script are what Grafana reads; they are generated so that every panel
uses the same datasource, variables, filters and alert annotations (dashboards/panels.py). A test
checks that the committed JSON is this output, that every panel's query runs on a real InfluxDB
and returns series, and that no panel asks for a metric roomwatch does not emit.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from dashboards import it, room
from dashboards.panels import ANNOTATION, HERE, VARIABLES


def dashboards() -> dict[str, dict[str, Any]]:
    """uid -> (title, panels)."""
    env, ups, net = room.environment(), room.ups(), it.network()
    servers, security, alerts = it.servers(), it.security(), it.alerts()
    return {
        "roomwatch-environment": {"title": "机房环境 Machine-room environment", "panels": env},
        "roomwatch-ups": {"title": "UPS 电源", "panels": ups},
        "roomwatch-network": {"title": "网络设备 Network", "panels": net},
        "roomwatch-servers": {"title": "服务器 Servers", "panels": servers},
        "roomwatch-security": {"title": "安全 Security", "panels": security},
        "roomwatch-alerts": {"title": "告警总览 Alerts", "panels": alerts},
    }


def render(uid: str, title: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    x = y = 0
    for i, p in enumerate(panels, start=1):
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x, y = 0, y + h
        p["id"], p["gridPos"] = i, {"x": x, "y": y, "w": w, "h": h}
        x += w
    return {
        "uid": uid,
        "title": title,
        "tags": ["roomwatch"],
        "timezone": "browser",
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": VARIABLES},
        "annotations": {"list": [ANNOTATION]},
        "panels": panels,
    }


def files() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {
        f"{uid}.json": json.dumps(render(uid, d["title"], d["panels"]), ensure_ascii=False, indent=2) + "\n"
        for uid, d in dashboards().items()
    }


if __name__ == "__main__":
    for name, text in files().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(name, file=sys.stderr)
