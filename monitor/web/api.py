"""The HTTP API: JSON under /api/v1, Alertmanager-compatible GET /api/v2/alerts, and /metrics."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from monitor.web import actions, data, inspection, metrics, registry, steps
from monitor.web.accounts import Role, User
from monitor.web.auth import api, api_user, from_loopback, sources
from monitor.web.i18n import LANGS


@api(Role.VIEWER)
def overview(request: Request, user: User) -> Response:
    """GET /api/v1/overview: rooms → devices with status and readings; alert counts."""
    return _json(data.overview(sources(request)))


@api(Role.VIEWER)
def alerts(request: Request, user: User) -> Response:
    """GET /api/v1/alerts: firing alerts with clause, ack and silences."""
    src = sources(request)
    return _json(data.alert_rows(src, src.clock()))


@api(Role.VIEWER)
def history(request: Request, user: User) -> Response:
    """GET /api/v1/alerts/history: transitions of the last 7 days, newest first."""
    src = sources(request)
    return _json(data.history(src, src.clock()))


@api(Role.OPERATOR)
async def ack(request: Request, user: User) -> Response:
    """POST /api/v1/alerts/{id}/ack ``{"comment": "…"}``."""
    body = await _body(request)
    actions.ack(sources(request), user, request.path_params["id"], str(body.get("comment", "")))
    return _json({"acknowledged": request.path_params["id"], "by": user.name})


@api(Role.VIEWER)
def silences(request: Request, user: User) -> Response:
    """GET /api/v1/silences (``?all=1`` includes expired ones)."""
    src = sources(request)
    return _json(data.silence_rows(src, src.clock(), include_expired=bool(request.query_params.get("all"))))


@api(Role.OPERATOR)
async def silence_add(request: Request, user: User) -> Response:
    """POST /api/v1/silences ``{"matchers": ["device=x"], "duration": "2h", "comment": "…"}``."""
    body = await _body(request)
    matchers = body.get("matchers")
    if not isinstance(matchers, list) or not all(isinstance(m, str) for m in matchers):
        raise HTTPException(400, "matchers: a list of strings such as \"device=core-sw-1\"")
    sid = actions.silence(sources(request), user, matchers, str(body.get("duration", "1h")),
                          str(body.get("comment", "")))
    return _json({"id": sid}, status=201)


@api(Role.OPERATOR)
async def silence_expire(request: Request, user: User) -> Response:
    """DELETE /api/v1/silences/{id}."""
    text = request.path_params["id"]
    if not text.isdigit():
        raise HTTPException(404, "no such silence")
    actions.expire(sources(request), user, int(text))
    return _json({"expired": int(text)})


@api(Role.VIEWER)
def audit(request: Request, user: User) -> Response:
    """GET /api/v1/audit: the newest actions."""
    return _json([{"id": e.id, "ts": e.ts, "who": e.who, "action": e.action, "target": e.target,
                   "detail": e.detail} for e in sources(request).accounts.audit()])


@api(Role.VIEWER)
def inspection_view(request: Request, user: User) -> Response:
    """GET /api/v1/inspection?day=YYYY-MM-DD[&lang=en]: automatic items, signed sheets, manual items."""
    src = sources(request)
    lang = request.query_params.get("lang")
    return _json(inspection.sheet_view(src, inspection.day_of(src, request.query_params.get("day")),
                                       lang if lang in LANGS else None))


@api(Role.OPERATOR)
async def inspection_sign(request: Request, user: User) -> Response:
    """POST /api/v1/inspection/sign ``{"day": "…", "items": {"门禁": {"status": "normal", "note": ""}},
    "corrects": null}``: sign as 巡检人."""
    body = await _body(request)
    src = sources(request)
    given = body.get("items")
    if not isinstance(given, dict):
        raise HTTPException(400, "items: an object of item name → {status, note}")
    marks = {str(k): (str(v.get("status", "")), str(v.get("note", "")))
             for k, v in given.items() if isinstance(v, dict)}
    corrects = body.get("corrects")
    sid = inspection.sign(src, user, inspection.day_of(src, body.get("day")), marks,
                          corrects if isinstance(corrects, int) else None)
    return _json({"sheet": sid}, status=201)


@api(Role.OPERATOR)
async def inspection_review(request: Request, user: User) -> Response:
    """POST /api/v1/inspection/review ``{"sheet": 3, "comment": "…"}``: sign as 审核人."""
    body = await _body(request)
    sheet = body.get("sheet")
    if not isinstance(sheet, int):
        raise HTTPException(400, "sheet: the sheet's id")
    inspection.review(sources(request), user, sheet, str(body.get("comment", "")))
    return _json({"reviewed": sheet, "by": user.name})


@api(Role.VIEWER)
def bindings_view(request: Request, user: User) -> Response:
    """GET /api/v1/bindings: the registry and the unknown devices seen in the last 7 days."""
    return _json(registry.registry_view(sources(request)))


@api(Role.ADMIN)
async def bindings_approve(request: Request, user: User) -> Response:
    """POST /api/v1/bindings ``{"ip": "…", "mac": "…", "hostname": "…", …}``: approve into the registry."""
    body = await _body(request)
    ip = await run_in_threadpool(registry.approve, sources(request), user,
                                 {k: str(v) for k, v in body.items() if v is not None})
    return _json({"approved": ip}, status=201)


@api(Role.VIEWER)
def changes_view(request: Request, user: User) -> Response:
    """GET /api/v1/changes[?device=X&a=1&b=2]: saved configuration versions; a masked diff."""
    q = request.query_params
    a, b = q.get("a", ""), q.get("b", "")
    return _json(registry.config_view(sources(request), q.get("device", ""),
                                      int(a) if a.isdigit() else None, int(b) if b.isdigit() else None))


@api(Role.VIEWER)
async def alertmanager_alerts(request: Request, user: User) -> Response:
    """GET /api/v2/alerts: firing alerts as Alertmanager lists them (read-only); the encoded
    answer is shared by every client for a second (see Sources.snapshot)."""
    src = sources(request)

    async def build() -> bytes:
        found = await steps.sliced(data.alertmanager_steps(src, src.clock(), await data.shared_rows(src)))
        return json.dumps(found, ensure_ascii=False, separators=(",", ":")).encode()

    return Response(await src.snapshot("alertmanager", build), media_type="application/json")


async def alertmanager_status(request: Request) -> Response:
    """GET /api/v2/status: what Grafana's Alertmanager data source asks when it is saved."""
    await run_in_threadpool(api_user, request)
    return _json({"cluster": {"status": "disabled", "peers": []}, "versionInfo": {"version": "roomwatch"},
                  "config": {"original": ""}, "uptime": data.iso(sources(request).clock())})


async def prometheus(request: Request) -> Response:
    """GET /metrics: open to loopback (Prometheus on this host), a token or password otherwise."""
    if not from_loopback(request):
        await run_in_threadpool(api_user, request)
    src = sources(request)
    body, content_type = metrics.exposition(src.health(), src.polls)
    return Response(body, media_type=content_type)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise HTTPException(400, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return body


def _json(value: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(value, status_code=status)
