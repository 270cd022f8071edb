"""The console's pages: log in and out, overview, alerts (ack, silence), audit log."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, tzinfo
from functools import partial
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from monitor.report import period
from monitor.web import actions, data, steps
from monitor.web.accounts import Role, User
from monitor.web.auth import check_csrf, csrf_token, login, page, session_user, sources
from monitor.web.i18n import LANGS, translator

_ENV = Environment(loader=PackageLoader("monitor.web", "templates"),
                   autoescape=select_autoescape(("j2",), default_for_string=True, default=True))


def render(request: Request, template: str, user: User | None, *, status: int = 200,
           **context: Any) -> HTMLResponse:
    """A page in the session's language (``?lang=en`` switches and is remembered)."""
    lang = language(request)
    t = translator(lang)
    # ?done=ack+ID after an action: said in the page's language.
    message = " ".join(t(word) for word in request.query_params.get("done", "").split())
    # Times in the zone the days are cut in ([report] timezone), not the machine's: a sheet of
    # the 29th is not signed "on the 28th" because the server runs in UTC.
    clock = partial(_clock, tz=period.zone(sources(request).settings().report.timezone))
    html = _ENV.get_template(template).render(
        t=t, lang=lang, user=user, csrf=csrf_token(request), clock=clock,
        message=message, page_title=template.split(".")[0], **context)
    return HTMLResponse(html, status_code=status)


def language(request: Request) -> str:
    """The session's language; ``?lang=en`` switches it and is remembered."""
    wanted = request.query_params.get("lang")
    if wanted in LANGS:
        request.session["lang"] = wanted
    lang: str = request.session.get("lang") or sources(request).settings().web.lang
    return lang


async def login_page(request: Request) -> Response:
    """The login form (anyone)."""
    return render(request, "login.html.j2", None, next=_local(request.query_params.get("next", "/")))


async def login_post(request: Request) -> Response:
    """Check the password (throttled); a good one starts a fresh session."""
    form = await check_csrf(request)
    # Off the loop: argon2 is slow on purpose.
    user = await run_in_threadpool(login, request, form.get("name", ""), form.get("password", ""))
    if user is None:
        t = translator(request.session.get("lang") or "zh")
        return render(request, "login.html.j2", None, status=401, next=_local(form.get("next", "/")),
                      error=t("wrong_login"))
    lang = request.session.get("lang")
    request.session.clear()  # a new session id for the new login (no session fixation)
    # A session has its own id and start, so a logout or a new password can end it (auth.session_user).
    request.session.update({"user": user.name, "sid": secrets.token_urlsafe(16),
                            "since": sources(request).clock(), **({"lang": lang} if lang else {})})
    sources(request).accounts.record(who=user.name, action="login", target=user.name, detail="",
                                     now=sources(request).clock())
    return RedirectResponse(_local(form.get("next", "/")), status_code=303)


async def logout(request: Request) -> Response:
    """End the session, on the server too: a copy of its cookie no longer logs anyone in."""
    await check_csrf(request)
    src = sources(request)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        src.accounts.end_session(sid, now=src.clock(), keep=src.settings().web.session_hours * 3600)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@page(Role.VIEWER)
async def overview(request: Request, user: User) -> Response:
    """总览: rooms → devices, readings, alert counts. The rooms' part is built at most once a
    second for everyone (in slices on the loop); each request only wraps it in its user's page."""
    src = sources(request)
    lang = language(request)
    async def build() -> Markup:
        view = await steps.sliced(data.overview_steps(src, await data.shared_rows(src)))
        template = _ENV.get_template("overview_body.html.j2")
        return Markup(await steps.joined(template.generate(t=translator(lang), view=view)))

    body = await src.snapshot(f"overview-{lang}", build)
    return render(request, "overview.html.j2", user, body=body)


@page(Role.VIEWER)
def alerts(request: Request, user: User) -> Response:
    """告警: firing (ack), silences (add, expire), history."""
    src = sources(request)
    now = src.clock()
    return render(request, "alerts.html.j2", user, alerts=data.alert_rows(src, now),
                  silences=data.silence_rows(src, now), history=data.history(src, now),
                  can_act=user.role.allows(Role.OPERATOR))


@page(Role.OPERATOR)
async def ack(request: Request, user: User) -> Response:
    """Acknowledge one firing alert as the logged-in user."""
    form = await check_csrf(request)
    done = actions.ack(sources(request), user, form.get("id", ""), form.get("comment", ""))
    return RedirectResponse(f"/alerts?done=ack+{done}", status_code=303)


@page(Role.OPERATOR)
async def silence_add(request: Request, user: User) -> Response:
    """Create a silence from the form's space-separated matchers."""
    form = await check_csrf(request)
    sid = actions.silence(sources(request), user, form.get("matchers", "").split(),
                          form.get("duration", "1h"), form.get("comment", ""))
    return RedirectResponse(f"/alerts?done=silence+{sid}", status_code=303)


@page(Role.OPERATOR)
async def silence_expire(request: Request, user: User) -> Response:
    """End a running silence."""
    await check_csrf(request)
    sid = _int(request.path_params["id"])
    actions.expire(sources(request), user, sid)
    return RedirectResponse(f"/alerts?done=expire+{sid}", status_code=303)


@page(Role.VIEWER)
def audit(request: Request, user: User) -> Response:
    """操作记录: every action taken through the console or API."""
    return render(request, "audit.html.j2", user, entries=sources(request).accounts.audit())


async def error_page(request: Request, exc: Exception) -> Response:
    """Errors as a short page (or JSON under /api), never a traceback."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error (see the daemon's log)"
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if request.url.path.startswith("/api/") or request.url.path == "/metrics":
        return JSONResponse({"error": detail}, status_code=status, headers=headers)
    user = session_user(request) if "session" in request.scope else None
    response = render(request, "base.html.j2", user, status=status, error=f"{status}: {detail}")
    response.headers.update(headers)
    return response


def _int(text: str) -> int:
    if not text.isdigit():
        raise HTTPException(404, "no such silence")
    return int(text)


def _local(target: str) -> str:
    # Only paths on this console: a login link must not send people elsewhere (open redirect).
    return target if re.fullmatch(r"/[A-Za-z0-9/_\-]*", target) else "/"


def _clock(ts: float | None, tz: tzinfo) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")
