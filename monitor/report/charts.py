"""Environment charts (daily min / avg / max against the 003:163 band) drawn with matplotlib,
returned as PNG data URIs so the HTML page stays one self-contained file."""

from __future__ import annotations

import base64
import io
import logging
from pathlib import Path
from typing import Any

from monitor.report.i18n import translator
from monitor.report.weekly import Report

log = logging.getLogger(__name__)

# Debian fonts-noto-cjk; the first that exists wins.
CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
)
BANDS = {"temperature_celsius": (18.0, 28.0), "humidity_percent": (35.0, 75.0)}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display on a server; must precede the pyplot import
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    for path in CJK_FONTS:
        if path.exists():
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
            plt.rcParams["font.family"] = [name, "DejaVu Sans"]
            break
    else:
        log.warning("no CJK font found (install fonts-noto-cjk); Chinese chart labels will not render")
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def environment_charts(report: Report, lang: str) -> dict[str, str]:
    """One PNG per room: temperature and humidity, each day's min–max bar and average line,
    the regulation band shaded."""
    if not report.rooms:
        return {}
    plt = _pyplot()
    words = translator(lang)
    out = {}
    for room, metrics in report.rooms.items():
        fig, axes = plt.subplots(1, 2, figsize=(9.0, 2.8), dpi=110)
        for ax, metric, title in zip(axes, BANDS, (words["temperature"], words["humidity"]), strict=True):
            stats = metrics.get(metric, [])
            low, high = BANDS[metric]
            ax.axhspan(low, high, color="#d9f0d9", zorder=0)
            days = [s.day[5:] for s in stats]
            if stats:
                x = list(range(len(stats)))
                lows = [s.min if s.min is not None else float("nan") for s in stats]
                highs = [s.max if s.max is not None else float("nan") for s in stats]
                avgs = [s.avg if s.avg is not None else float("nan") for s in stats]
                ax.vlines(x, lows, highs, color="#4a7ab5", linewidth=6, alpha=0.45)
                ax.plot(x, avgs, marker="o", color="#1f4e8c", linewidth=1.2)
                over = [(i, h) for i, h in enumerate(highs) if h > high]
                under = [(i, lo) for i, lo in enumerate(lows) if lo < low]
                for i, value in over + under:
                    ax.annotate(f"{value:g}", (i, value), color="#c0392b", fontsize=8,
                                textcoords="offset points", xytext=(4, 2))
                ax.set_xticks(x, days, fontsize=8)
            ax.set_title(f"{words['room']} {room} · {title}", fontsize=9)
            ax.tick_params(axis="y", labelsize=8)
            ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        out[room] = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return out
