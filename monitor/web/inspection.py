"""巡检: a day's automatic record (``roomwatch inspect``) beside the manual items a person signs."""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from monitor.report import i18n, items, period, render
from monitor.report.book import Entry, InspectionBook
from monitor.report.signoff import Checked, Mark, SignOffError, SignOffs
from monitor.web import views
from monitor.web.accounts import Role, User
from monitor.web.auth import check_csrf, page, sources
from monitor.web.i18n import translator
from monitor.web.sources import Sources

_REPORT_NAME = re.compile(r"(report|inspection)-[0-9A-Za-z\-]+\.(pdf|html|md|json)")


def day_of(src: Sources, text: str | None) -> str:
    """The local day asked for (default today) as ``YYYY-MM-DD``; 400 when it is not a date."""
    tz = period.zone(src.settings().report.timezone)
    try:
        return period.parse_day(text or "today", src.clock(), tz).isoformat()
    except ValueError as err:
        raise HTTPException(400, str(err)) from None


def sheet_view(src: Sources, day: str, lang: str | None = None) -> dict[str, Any]:
    """The day's automatic items with their evidence (newest entry of the book, or none written),
    its signed sheets (newest last) and the manual items to fill in, item names and evidence in
    ``lang`` (default ``[web] lang``); secrets never enter a record."""
    settings = src.settings()
    lang = lang or settings.web.lang
    tz = period.zone(settings.report.timezone)
    table = items.items(settings.report.backup_max_age / 3600,
                        backup_jobs=tuple(j.name for j in settings.backups))
    book = InspectionBook(src.state_dir / "inspections.db")
    signoffs = SignOffs(src.state_dir / "inspections.db")
    try:
        entry = book.current(day)
        sheets = signoffs.sheets(day)
        days = sorted(set(book.days()) | set(signoffs.days()), reverse=True)
    finally:
        book.close()
        signoffs.close()
    automatic = [{"number": i.number, "key": i.key, "name": i.en if lang == "en" else i.zh,
                  "clause": i.clause, **_automatic(_result(entry, i.key), tz, lang)} for i in table]
    return {"day": day, "entry": None if entry is None else {"id": entry.id, "kind": entry.kind,
                                                              "written_at": entry.written_at},
            "automatic": automatic, "manual": list(settings.web.manual_items),
            "future": day > _today(src),
            "sheets": [s.to_dict() for s in sheets], "days": days[:60], "reports": _reports(src)}


def sign(src: Sources, user: User, day: str, marks: dict[str, tuple[str, str]], corrects: int | None) -> int:
    """Sign the day's manual items as 巡检人 ``user``; audited. ``marks``: item → (status, note).
    A day still to come is refused (400): nobody has inspected it yet. Past days may be signed
    late; the sheet says when."""
    today = _today(src)
    if day > today:
        raise HTTPException(400, f"{day} has not come yet (today is {today}): only a day that has "
                                 "begun can be inspected and signed")
    manual = list(src.settings().web.manual_items)
    try:
        checked = [Checked(name=name, mark=Mark(marks[name][0]), note=marks[name][1].strip()[:500])
                   for name in manual if marks.get(name, ("", ""))[0]]
    except ValueError:
        raise HTTPException(400, "a status is one of normal, abnormal, unavailable") from None
    signoffs = SignOffs(src.state_dir / "inspections.db")
    try:
        sheet = signoffs.sign(day=day, items=checked, expected=manual, inspector=user.name,
                              now=src.clock(), corrects=corrects)
    except SignOffError as err:
        raise HTTPException(409, str(err)) from None
    finally:
        signoffs.close()
    detail = "; ".join(f"{c.name}={c.mark.value}" for c in checked)
    src.audit(who=user.name, action="inspection.sign" if corrects is None else "inspection.correct",
              target=f"{day}#{sheet.id}", detail=detail)
    return sheet.id


def review(src: Sources, user: User, sheet_id: int, comment: str) -> None:
    """Countersign a sheet as 审核人 ``user``; audited."""
    signoffs = SignOffs(src.state_dir / "inspections.db")
    try:
        sheet = signoffs.review(sheet_id, reviewer=user.name, comment=comment.strip()[:500],
                                now=src.clock())
    except SignOffError as err:
        raise HTTPException(409, str(err)) from None
    finally:
        signoffs.close()
    src.audit(who=user.name, action="inspection.review", target=f"{sheet.day}#{sheet.id}",
              detail=comment.strip()[:500])


@page(Role.VIEWER)
def inspection(request: Request, user: User) -> Response:
    """巡检: one day's record (``?day=``), default today."""
    src = sources(request)
    view = sheet_view(src, day_of(src, request.query_params.get("day")), views.language(request))
    return views.render(request, "inspection.html.j2", user, view=view,
                        can_act=user.role.allows(Role.OPERATOR))


@page(Role.OPERATOR)
async def sign_post(request: Request, user: User) -> Response:
    """Sign (or correct) the day's manual items."""
    form = await check_csrf(request)
    src = sources(request)
    day = day_of(src, form.get("day"))
    marks = {name: (form.get(f"status-{i}", ""), form.get(f"note-{i}", ""))
             for i, name in enumerate(src.settings().web.manual_items)}
    corrects = form.get("corrects", "")
    sign(src, user, day, marks, int(corrects) if corrects.isdigit() else None)
    return RedirectResponse(f"/inspection?day={day}&done=signed", status_code=303)


@page(Role.OPERATOR)
async def review_post(request: Request, user: User) -> Response:
    """Countersign a sheet."""
    form = await check_csrf(request)
    sheet = form.get("sheet", "")
    if not sheet.isdigit():
        raise HTTPException(400, "which sheet?")
    review(sources(request), user, int(sheet), form.get("comment", ""))
    return RedirectResponse(f"/inspection?day={day_of(sources(request), form.get('day'))}&done=reviewed",
                            status_code=303)


@page(Role.VIEWER)
def download(request: Request, user: User) -> Response:
    """A saved record or weekly report from STATE_DIR/reports, by its file name."""
    name = request.path_params["name"]
    path = sources(request).state_dir / "reports" / name
    if not _REPORT_NAME.fullmatch(name) or not path.is_file():
        raise HTTPException(404, "no such report")
    return FileResponse(path, filename=name)


def _today(src: Sources) -> str:
    return day_of(src, "today")


def _result(entry: Entry | None, key: str) -> items.ItemResult:
    # No entry written for the day yet (or none for this row): 无数据, never a guess at 正常.
    found = [r for r in entry.items if r.key == key] if entry is not None else []
    return found[0] if found else items.ItemResult(key=key, status=items.Status.NO_DATA)


def _automatic(result: items.ItemResult, tz: tzinfo, lang: str) -> dict[str, Any]:
    """One row's status and the evidence the record keeps for it: the series it read, the
    abnormalities (findings), what it lists (observed) and its details; ``evidence`` says it in
    one line, worded as the daily record words it."""
    words = i18n.translator(lang)
    parts = [f"{translator(lang)('series_read')} {result.series}"]
    parts += [render.finding(f, tz, words, lang) for f in result.findings]
    if result.observed:
        parts.append(render.observed(result.observed, words))
    return {"status": result.status.value, "series": result.series,
            "findings": [f.to_dict() for f in result.findings],
            "observed": [o.to_dict() for o in result.observed], "details": list(result.details),
            "evidence": words["semi"].join(parts)}


def _reports(src: Sources) -> list[str]:
    folder = src.state_dir / "reports"
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if _REPORT_NAME.fullmatch(p.name) and p.is_file()]
    return sorted(names, reverse=True)[:60]

