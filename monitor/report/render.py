"""Render the daily record and the weekly report: Markdown and HTML through Jinja2 templates,
PDF from the HTML with WeasyPrint, JSON from the data."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

import jinja2

from monitor.core.clauses import gloss
from monitor.report import i18n, period
from monitor.report.book import INSPECTOR, Entry
from monitor.report.items import Finding, Item, Observed, Status
from monitor.report.signoff import Sheet
from monitor.report.weekly import Report

log = logging.getLogger(__name__)

MARKS = {Status.NORMAL: "√", Status.ABNORMAL: "×", Status.UNAVAILABLE: "?", Status.NO_DATA: "—",
         Status.NOT_CONFIGURED: "○"}


def _env(tz: tzinfo, lang: str, autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("monitor.report", "templates"),
                             autoescape=autoescape, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    words = i18n.translator(lang)
    env.globals.update(t=words, lang=lang, Status=Status, marks=MARKS, INSPECTOR=INSPECTOR)
    env.filters["ts"] = lambda ts, fmt="%Y-%m-%d %H:%M": period.local(ts, tz, fmt)
    env.filters["dur"] = lambda s: duration(s, lang)
    env.filters["num"] = number
    env.filters["reading"] = reading
    env.filters["finding"] = lambda f: finding(f, tz, words, lang)
    env.filters["wday"] = lambda day: i18n.WEEKDAYS[1 if lang == "en" else 0][
        datetime.strptime(day, "%Y-%m-%d").weekday()]
    env.filters["name"] = lambda item: item.en if lang == "en" else item.zh
    # The Chinese title is the document's name; in English its English name follows it.
    env.filters["clause"] = lambda text: gloss(text) if lang == "en" else text
    env.filters["observed"] = lambda rows: observed(rows, words)
    return env


def observed(rows: Sequence[Observed], words: dict[str, str]) -> str:
    """``空调 ac-1/1: 全天运行, 送风最高 18.2 °C, 回风最高 26.5 °C`` per air conditioner of the day."""
    units: dict[tuple[str, str], list[str]] = {}
    for o in rows:
        parts = units.setdefault((o.device, o.unit), [])
        if o.metric == "ac_running":
            parts.append(words["ac_ran"] if o.low >= 0.5 else words["ac_stopped_today"])
        elif o.metric == "ac_supply_temperature_celsius":
            parts.append(f"{words['ac_supply_max']} {number(o.high)} °C")
        elif o.metric == "ac_return_temperature_celsius":
            parts.append(f"{words['ac_return_max']} {number(o.high)} °C")
    return "; ".join(f"{words['ac_unit']} {device}{('/' + unit) if unit else ''}: {', '.join(parts)}"
                     for (device, unit), parts in units.items())


def duration(seconds: float | None, lang: str = "zh") -> str:
    """``40 分钟`` / ``3 h 05 min`` style; ``—`` for none."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    hours, mins = divmod(minutes, 60)
    if lang == "en":
        return f"{hours} h {mins:02d} min" if hours else f"{mins} min"
    return f"{hours} 小时 {mins:02d} 分钟" if hours else f"{mins} 分钟"


def number(value: float | None, digits: int = 1) -> str:
    """A number for people: fixed decimals, trailing ``.0`` kept out; ``—`` for none."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def reading(found: Finding) -> str:
    """``temperature_celsius 29.4 °C`` (or the alert's value when no series was judged)."""
    unit = f" {found.unit}" if found.unit else ""
    metric = found.metric or found.alert
    extra = "".join(f" {k}={v}" for k, v in sorted(found.labels.items())
                    if v and k in ("ifname", "ip", "mac", "sensor", "array", "mount", "version", "window",
                                   "check", "reason", "path", "user", "remote", "product", "log"))
    return f"{metric}{extra} = {number(found.value)}{unit}"


def finding(found: Finding, tz: tzinfo, words: dict[str, str], lang: str) -> str:
    """``th-1: temperature_celsius = 29.4 °C, 03:26–03:56 (30 分钟), 告警 room_temperature_high``."""
    end = words["ongoing"] if found.end is None else period.local(found.end, tz, "%H:%M")
    alert = f", {words['alert']} {found.alert}" if found.alert else ""
    return (f"{found.device}: {reading(found)}, {period.local(found.start, tz, '%H:%M')}–{end} "
            f"({duration(found.duration, lang)}){alert}")


def daily_markdown(entry: Entry, table: tuple[Item, ...], tz: tzinfo, lang: str, *,
                   sheets: Sequence[Sheet] = (), manual: Sequence[str] = ()) -> str:
    """The daily record as Markdown (what ``roomwatch inspect`` prints and saves), with the day's
    newest signed sheet of ``manual`` items (巡检人, 审核人), or 未填写 / 未签字 when there is none."""
    sheet = sheets[-1] if sheets else None
    found = {c.name: c for c in sheet.items} if sheet else {}
    # Configured items first, then any a sheet carries that the config no longer lists.
    rows = [(name, found.get(name)) for name in manual] + [
        (name, c) for name, c in found.items() if name not in manual]
    template = _env(tz, lang, autoescape=False).get_template("daily.md.j2")
    return template.render(entry=entry, items={i.key: i for i in table}, table=table, sheet=sheet,
                           manual_rows=rows)


def weekly_markdown(report: Report, tz: tzinfo, lang: str) -> str:
    """The weekly report as Markdown (tables; the charts are in HTML and PDF only)."""
    return _env(tz, lang, autoescape=False).get_template("weekly.md.j2").render(r=report)


def weekly_html(report: Report, tz: tzinfo, lang: str, charts: dict[str, str] | None = None) -> str:
    """The weekly report as one self-contained HTML page (charts inlined as data URIs)."""
    if charts is None:
        from monitor.report.charts import environment_charts

        charts = environment_charts(report, lang)
    return _env(tz, lang, autoescape=True).get_template("weekly.html.j2").render(r=report, charts=charts)


def weekly_pdf(report: Report, tz: tzinfo, lang: str) -> bytes:
    """The weekly report as PDF, printed from the HTML by WeasyPrint (fonts: Noto CJK)."""
    import weasyprint

    pdf = weasyprint.HTML(string=weekly_html(report, tz, lang)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def weekly_json(report: Report) -> str:
    """The weekly report's data as JSON (stable keys, epoch-second times)."""
    doc: dict[str, Any] = {
        "week": report.week, "start": report.start, "end": report.end, "tz": report.tz,
        "generated_at": report.generated_at, "has_data": report.has_data,
        "summary": {"days_all_normal": report.days_all_normal, "abnormal_items": report.abnormal_cells,
                    "open_issues": len(report.open_issues), "over_limit": len(report.breaches),
                    "flaps": report.flaps},
        "days": [{"day": d.day, "source": d.source, "items": [i.to_dict() for i in d.items]}
                 for d in report.days],
        "environment": {room: {m: [{"day": s.day, "min": s.min, "avg": s.avg, "max": s.max}
                                   for s in stats] for m, stats in metrics.items()}
                        for room, metrics in report.rooms.items()},
        "outside_band_s": report.outside,
        "ups": [{**u, "events": [f.to_dict() for f in u["events"]]} for u in report.ups],
        "availability": {"fully_up": report.fully_up, "below": report.availability},
        "interfaces": report.interfaces,
        "idle_interfaces": report.idle_interfaces,
        "alerts": {"by_severity": report.severities, "noisiest": report.noisiest},
        "incidents": [i.to_dict() for i in report.incidents],
        "config_changes": [f.to_dict() for f in report.changes],
        "ipmac_violations": [f.to_dict() for f in report.ipmac],
        "backups": report.backups,
        "facility": report.facility,
        "posture": report.posture,
        "inspector": "自动巡检", "reviewer": report.reviewer,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
