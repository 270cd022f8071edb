"""``roomwatch report``: the weekly inspection report (周巡检报告) as PDF, HTML, Markdown or JSON."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE, add_config_option, load
from monitor.store.sources import Source

if TYPE_CHECKING:
    from monitor import config as config_mod
    from monitor.store.base import Store

log = logging.getLogger(__name__)
SUFFIX = {"pdf": ".pdf", "html": ".html", "md": ".md", "json": ".json"}


def register(sub: Any) -> None:
    """Add the ``report`` parser."""
    p = sub.add_parser("report", help="Write the weekly inspection report (周巡检报告).",
                       description="The 7-day checklist grid, abnormalities with their clauses, "
                       "environment charts, UPS, availability, alerts, incident response times "
                       "against the 2 h / 4 h repair limit, configuration changes, IP–MAC violations and "
                       "backups. Saved to --out or STATE_DIR/reports/; the path is printed.")
    add_config_option(p)
    p.add_argument("--week", default="last", help="YYYY-Www (e.g. 2026-W47), last (default) or this")
    p.add_argument("--format", choices=tuple(SUFFIX), default=None, help="default [report] format")
    p.add_argument("--out", type=Path, default=None, help="file to write (default STATE_DIR/reports/)")
    p.add_argument("--send", default=None, metavar="RECEIVER",
                   help="also send it: a [notify] receiver name (default = [notify] urls), all, "
                   "an index of notify.urls, or a scheme such as mailto")
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="default [report] lang")
    p.add_argument("--source", choices=[s.value for s in Source], default=Source.SQLITE.value,
                   help="where to read: this daemon's SQLite store (default) or the shared store "
                   "of [store.influxdb] that every site's daemon writes to")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--site", default=None, help="only the readings and alerts labelled site=SITE")
    where.add_argument("--all-sites", action="store_true", help="every site in the store")
    p.set_defaults(handler=run)


def open_store(settings: config_mod.Settings, state: Path, source: Source = Source.SQLITE,
               site: str | None = None) -> Store:
    """The store to read (the embedded one, opened beside a running daemon, or the shared one),
    narrowed to ``site`` when given."""
    from monitor.store.sources import SiteStore, open_remote
    if source is Source.SQLITE:
        from monitor.store.sqlite import SQLiteStore

        sqlite = settings.store.sqlite
        store: Store = SQLiteStore(sqlite.path or state / "roomwatch.db", retention_s=sqlite.retention,
                                   rollup_retention_s=sqlite.rollup_retention)
    else:
        store = open_remote(source, settings.store.influxdb)
    return store if site is None else SiteStore(store, site)


def run(args: argparse.Namespace, now: float | None = None) -> int:
    """Build, render, save, optionally send; print the path."""
    from collectors.backup import LOG_NAME, restore
    from monitor import config as config_mod
    from monitor import wiring
    from monitor.core import logs
    from monitor.core.errors import NotifyError, StoreError
    from monitor.report import items, period, render, send, weekly
    from monitor.report.acks import ack_times
    from monitor.report.book import InspectionBook
    logs.setup("warning")
    settings, _ = load(args.config)
    now = time.time() if now is None else now
    conf = settings.report
    tz = period.zone(conf.timezone)
    lang, fmt = args.lang or conf.lang, args.format or conf.format
    receivers = {r.name: [u.get_secret_value() for u in r.urls] for r in settings.notify.receivers}
    if settings.notify.urls:
        receivers["default"] = [u.get_secret_value() for u in settings.notify.urls]
    receiver = args.send if args.send is not None else conf.send
    source, site = Source(args.source), args.site
    try:
        year, week = period.parse_week(args.week, now, tz)
        targets = send.choose(receivers, receiver) if receiver else []
        if source is not Source.SQLITE and site is None and not args.all_sites:
            raise ValueError(f"--source {source.value}: say which site (--site SITE) or --all-sites")
    except ValueError as err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    state, _ = config_mod.state_dir(settings)
    designs = {d.name: d.design_runtime_minutes for d in settings.devices if d.design_runtime_minutes}
    try:
        store = open_store(settings, state, source, site)
    except StoreError as err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    # The inspection book and the restore-test log are this daemon's own files: they speak for
    # its whole store, not for one site of it nor for the shared store.
    own = source is Source.SQLITE and site is None
    book = InspectionBook(state / "inspections.db") if own else None
    tests = [asdict(r) for r in restore.records(state / LOG_NAME)] if own else []
    table = items.items(conf.backup_max_age / 3600, backup_jobs=tuple(j.name for j in settings.backups),
                        syslog=wiring.syslog_on(settings))
    try:
        report = weekly.build(store, year=year, week=week, tz=tz, tz_name=conf.timezone or str(tz),
                              now=now, table=table, book=book,
                              acks=ack_times(state), designs=designs, reviewer=conf.reviewer,
                              top=conf.top, restore_tests=tests,
                              backup_limits={j.name: j.max_age / 3600 for j in settings.backups})
    except StoreError as err:
        # Unreachable (retryable) is a failed run; refused (credentials, bucket) is configuration.
        print(f"report not written: {err}", file=sys.stderr)
        return 1 if err.retryable else EXIT_USAGE
    finally:
        store.close()
        if book is not None:
            book.close()
    out = args.out or state / "reports" / f"report-{report.week}{SUFFIX[fmt]}"
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        out.write_bytes(render.weekly_pdf(report, tz, lang))
    else:
        text = {"md": render.weekly_markdown, "html": render.weekly_html}.get(fmt)
        out.write_text(text(report, tz, lang) if text else render.weekly_json(report), encoding="utf-8")
    print(out)
    if targets:
        words = render.i18n.translator(lang)
        body = (f"{words['days_all_normal']} {report.days_all_normal}/7, {words['abnormal_cells']} "
                f"{report.abnormal_cells}, {words['open_issues']} {len(report.open_issues)}, "
                f"{words['over_limit']} {len(report.breaches)}")
        try:
            names = send.send(targets, title=f"{words['weekly_title']} {report.week}", body=body,
                              attachment=out)
        except NotifyError as err:
            print(f"{out}: saved, but {err}", file=sys.stderr)
            return 1
        print("sent to " + ", ".join(names), file=sys.stderr)
    return EXIT_OK
