"""Title and body of one alert transition in the full (IM) form — the spine's API, kept for
callers that render a single alert; the pipeline itself uses :mod:`alerts.render`."""

from __future__ import annotations

from alerts.render import Renderer
from monitor.core.model import Alert, AlertState


def render(alert: Alert, lang: str = "zh") -> tuple[str, str]:
    """Title and body of one alert transition (zh-CN by default, ``en`` too)."""
    firing = [alert] if alert.state is not AlertState.RESOLVED else []
    resolved = [] if firing else [alert]
    return Renderer().render(form="im", lang=lang, firing=firing, resolved=resolved)
