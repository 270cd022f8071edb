"""``roomwatch inspect``: write the daily inspection record (日巡检记录) of one local day.

Without ``--date`` it records **yesterday**: the daily timer runs at 08:30 and the last
complete day is the one a record can state for good. ``--date today`` writes a provisional
entry; a day inspected again after it closed gets a correction entry, never a rewrite.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, add_config_option, load


def register(sub: Any) -> None:
    """Add the ``inspect`` parser."""
    p = sub.add_parser("inspect", help="Write the daily inspection record (日巡检记录).",
                       description="Judge the checklist of 003 中心机房巡检管理制度 for one day from "
                       "the stored readings and alerts, append it to STATE_DIR/inspections.db and save "
                       "it as Markdown in STATE_DIR/reports/. Default day: yesterday.")
    add_config_option(p)
    p.add_argument("--date", default="yesterday", help="YYYY-MM-DD, today or yesterday (default)")
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="language (default [report] lang)")
    p.add_argument("--show", action="store_true", help="print the stored entries of the day; write nothing")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, now: float | None = None) -> int:
    """Inspect, store, save, print the saved path."""
    from monitor import config as config_mod
    from monitor import wiring
    from monitor.core import logs
    from monitor.report import backups, items, period, render, runlogs
    from monitor.report.book import InspectionBook
    from monitor.report.judge import judge
    from monitor.report.judge import load as load_data
    from monitor.report.signoff import SignOffs
    logs.setup("warning")
    settings, _ = load(args.config)
    now = time.time() if now is None else now
    tz = period.zone(settings.report.timezone)
    lang = args.lang or settings.report.lang
    try:
        day = period.parse_day(args.date, now, tz)
    except ValueError as err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    span = period.day_span(day, tz)
    state, _ = config_mod.state_dir(settings)
    table = items.items(settings.report.backup_max_age / 3600,
                        backup_jobs=tuple(j.name for j in settings.backups),
                        syslog=wiring.syslog_on(settings))
    book = InspectionBook(state / "inspections.db")
    # The half a person signs on the console's 巡检 page: same file, read as it stands now.
    signoffs = SignOffs(state / "inspections.db")
    manual = settings.web.manual_items
    try:
        sheets = signoffs.sheets(span.label)
    finally:
        signoffs.close()
    try:
        if args.show:
            entries = book.entries(span.label)
            if not entries:
                # Silence here read as "nothing wrong"; say there is no record and where we looked.
                print(f"no inspection record for {span.label} in {state / 'inspections.db'} "
                      f"(write one with: roomwatch inspect --date {span.label})", file=sys.stderr)
                return EXIT_VIOLATIONS
            for entry in entries:
                print(render.daily_markdown(entry, table, tz, lang, sheets=sheets, manual=manual))
            return EXIT_OK
        from monitor.commands.report import open_store

        store = open_store(settings, state)
        try:
            data = load_data(store, span.start, span.end, [m for i in table for m in i.metrics])
            results = judge(store, data, table, span.start, span.end)
            jobs = tuple(backups.job_lines(data, span.start, span.end, (j.name for j in settings.backups)))
            results = [replace(r, details=jobs) if r.key == "backup" else r for r in results]
            if wiring.syslog_on(settings):  # row 10: the day's messages as the evidence store holds them
                runs = runlogs.details(wiring.evidence_path(settings), span.label, tz)
                results = [replace(r, details=runs) if r.key == "logs" else r for r in results]
        finally:
            store.close()
        entry = book.add(day=span.label, start=span.start, end=span.end, now=now, items=results,
                         reviewer=settings.report.reviewer)
    finally:
        book.close()
    out = state / "reports" / f"inspection-{span.label}-{entry.id}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render.daily_markdown(entry, table, tz, lang, sheets=sheets, manual=manual),
                   encoding="utf-8")
    print(out)
    # One line for the journal: what a person must look at.
    names = {i.key: (i.en if lang == "en" else i.zh) for i in table}
    for status in (items.Status.ABNORMAL, items.Status.UNAVAILABLE, items.Status.NO_DATA):
        keys = [names[r.key] for r in entry.items if r.status is status]
        if keys:
            print(f"{span.label} {entry.kind}: {status.value}: {', '.join(keys)}", file=sys.stderr)
    return EXIT_OK
