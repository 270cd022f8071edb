"""The console's ASGI application: routes, signed session cookies, security headers, errors."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.web import api, inspection, registry, views
from monitor.web.sources import Sources, session_key

_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # No inline script, nothing from elsewhere: an injected tag could not run.
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Adds the headers above to every answer (pure ASGI: no per-request task)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, sending)


def build(src: Sources, *, https: bool) -> Starlette:
    """The app over ``src``; ``https`` makes the session cookie Secure (sent over TLS only)."""
    settings = src.settings().web
    routes: list[Any] = [
        Route("/login", views.login_page, methods=["GET"]),
        Route("/login", views.login_post, methods=["POST"]),
        Route("/logout", views.logout, methods=["POST"]),
        Route("/", views.overview),
        Route("/alerts", views.alerts),
        Route("/alerts/ack", views.ack, methods=["POST"]),
        Route("/silences", views.silence_add, methods=["POST"]),
        Route("/silences/{id}/expire", views.silence_expire, methods=["POST"]),
        Route("/audit", views.audit),
        Route("/inspection", inspection.inspection),
        Route("/inspection/sign", inspection.sign_post, methods=["POST"]),
        Route("/inspection/review", inspection.review_post, methods=["POST"]),
        Route("/reports/{name}", inspection.download),
        Route("/bindings", registry.registry_page),
        Route("/bindings/approve", registry.approve_post, methods=["POST"]),
        Route("/changes", registry.config_page),
        Route("/api/v1/overview", api.overview),
        Route("/api/v1/alerts", api.alerts),
        Route("/api/v1/alerts/history", api.history),
        Route("/api/v1/alerts/{id}/ack", api.ack, methods=["POST"]),
        Route("/api/v1/silences", api.silences, methods=["GET"]),
        Route("/api/v1/silences", api.silence_add, methods=["POST"]),
        Route("/api/v1/silences/{id}", api.silence_expire, methods=["DELETE"]),
        Route("/api/v1/audit", api.audit),
        Route("/api/v1/inspection", api.inspection_view, methods=["GET"]),
        Route("/api/v1/inspection/sign", api.inspection_sign, methods=["POST"]),
        Route("/api/v1/inspection/review", api.inspection_review, methods=["POST"]),
        Route("/api/v1/bindings", api.bindings_view, methods=["GET"]),
        Route("/api/v1/bindings", api.bindings_approve, methods=["POST"]),
        Route("/api/v1/changes", api.changes_view, methods=["GET"]),
        Route("/api/v2/alerts", api.alertmanager_alerts, methods=["GET"]),
        Route("/api/v2/status", api.alertmanager_status, methods=["GET"]),
        Route("/metrics", api.prometheus),
        Mount("/static", StaticFiles(packages=[("monitor.web", "static")]), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=session_key(src.state_dir), session_cookie="roomwatch",
                   max_age=int(settings.session_hours * 3600), same_site="strict", https_only=https),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: views.error_page, Exception: views.error_page})
    app.state.sources = src
    return app
