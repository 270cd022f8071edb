"""Who is asking: session logins for pages (with CSRF tokens), bearer tokens or basic auth for the API."""

from __future__ import annotations

import base64
import binascii
import hmac
import inspect
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.web.accounts import Role, User
from monitor.web.sources import Sources

log = logging.getLogger(__name__)

Handler = Callable[[Request, User], Awaitable[Response]] | Callable[[Request, User], Response]


def sources(request: Request) -> Sources:
    """The console's parts, kept on the app."""
    found: Sources = request.app.state.sources
    return found


def session_user(request: Request) -> User | None:
    """The logged-in account of this browser session (its role as it is now), or None."""
    name, sid, since = (request.session.get(key) for key in ("user", "sid", "since"))
    if not (isinstance(name, str) and isinstance(sid, str) and isinstance(since, (int, float))):
        return None  # a cookie from before sessions had an id is not trusted: log in again
    return sources(request).accounts.session_user(name, sid, since)


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use); every form posts it back."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> dict[str, Any]:
    """The posted form, if its CSRF token is this session's; 403 otherwise."""
    form = await request.form()
    sent = form.get("csrf")
    wanted = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(wanted, str) or not hmac.compare_digest(sent, wanted):
        raise HTTPException(403, "CSRF token missing or wrong; reload the page and try again")
    return {k: v for k, v in form.items() if isinstance(v, str)}


Endpoint = Callable[[Request], Awaitable[Response]]
Who = Callable[[Request], Awaitable["User | Response"]]


def page(role: Role) -> Callable[[Handler], Endpoint]:
    """A console page for ``role`` and above: no session → the login page; too low a role → 403."""

    async def who(request: Request) -> User | Response:
        user = session_user(request)
        return user or RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    return _guard(role, who)


def api(role: Role) -> Callable[[Handler], Endpoint]:
    """An API call for ``role`` and above: a bearer token or HTTP basic auth (never the session
    cookie); 401 without, 403 for too low a role. What a browser could send from another site
    is refused first (see refuse_browser_forgery)."""

    async def who(request: Request) -> User | Response:
        refuse_browser_forgery(request)
        # A token or a password verified moments ago is answered on the loop (Grafana and
        # karma send the password with every request); a new password costs an argon2
        # verification, off the loop.
        quick = quick_user(request)
        return quick if quick is not None else await run_in_threadpool(api_user, request)

    return _guard(role, who)


_WRITES = frozenset({"POST", "PUT", "PATCH"})


def refuse_browser_forgery(request: Request) -> None:
    """Refuse what a page of another site could make a browser send with the API login it
    remembers (basic auth, after a 401's WWW-Authenticate): 403 when the browser marks the request
    as from another site (Sec-Fetch-Site; API clients such as curl or Grafana's server send none),
    415 for a write not declared JSON (without a CORS preflight, which this API never grants, a
    page elsewhere can send only a form's types, text/plain or no type at all)."""
    site = request.headers.get("sec-fetch-site", "none")
    # same-site too: to a console on an IP address, another port of the same host is the same site.
    if site not in ("same-origin", "none"):
        raise HTTPException(403, f"refused: a browser sent this from a page of another site (Sec-Fetch-Site: "
                            f"{site}); call the API from a script or a server")
    # A POST even without a body (fetch() sends one so); a DELETE needs none, but one it carries is JSON.
    body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    if request.method in _WRITES or (request.method == "DELETE" and body):
        kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if kind != "application/json":
            raise HTTPException(415, "send the body as JSON with Content-Type: application/json "
                                "({} when there is nothing to say)")


def _guard(role: Role, who: Who) -> Callable[[Handler], Endpoint]:
    def wrap(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            user = await who(request)
            if not isinstance(user, User):
                return user
            if not user.role.allows(role):
                raise HTTPException(403, f"needs the {role.value} role")
            return await _call(handler, request, user)

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


async def _call(handler: Handler, request: Request, user: User) -> Response:
    # A plain (def) handler reads SQLite and renders: it runs in a worker thread, so the
    # daemon's loop (polling, judging, telling) never waits for a page.
    if inspect.iscoroutinefunction(handler):
        answer: Response = await handler(request, user)
        return answer
    return await run_in_threadpool(handler, request, user)  # type: ignore[arg-type]


def quick_user(request: Request) -> User | None:
    """The account of the Authorization header when telling costs no password hashing (a token,
    or basic auth remembered by Accounts.remembered, not while throttled); None: ask api_user."""
    scheme, value = _authorization(request)
    src = sources(request)
    if scheme == "bearer":
        return src.accounts.check_token(value)
    if scheme != "basic":
        return None
    name, password = _basic(value)
    now = src.clock()
    if src.throttle.wait(_throttle_keys(request, name), now) > 0:
        return None
    return src.accounts.remembered(name, password, now=now)


def api_user(request: Request) -> User:
    """The account named by the Authorization header; 401 (or 429 while throttled) otherwise."""
    scheme, value = _authorization(request)
    src = sources(request)
    user: User | None = None
    if scheme == "bearer":
        user = src.accounts.check_token(value)
    elif scheme == "basic":
        user = login(request, *_basic(value))
    if user is None:
        raise HTTPException(401, "log in: Authorization: Bearer TOKEN (roomwatch user token NAME) "
                            "or HTTP basic auth", headers={"WWW-Authenticate": 'Basic realm="roomwatch"'})
    return user


def _authorization(request: Request) -> tuple[str, str]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return (scheme.lower(), value.strip()) if value.strip() else ("", "")


def _basic(value: str) -> tuple[str, str]:
    try:
        name, _, password = base64.b64decode(value).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return name, password


def _throttle_keys(request: Request, name: str) -> list[str]:
    # A name is throttled per client, not everywhere: guessing at a name from one machine must not
    # lock out its owner (or Grafana's basic auth) on another. Each client is throttled over all names.
    client = client_address(request)
    return [f"user:{name}@{client}", f"client:{client}"]


def login(request: Request, name: str, password: str) -> User | None:
    """Check a password under the login throttle: 429 while this name or client must wait."""
    src = sources(request)
    now = src.clock()
    keys = _throttle_keys(request, name)
    wait = src.throttle.attempt(keys, now)  # counted as wrong until the password is found right
    if wait > 0:
        raise HTTPException(429, f"too many wrong passwords; try again in {wait:.0f} s",
                            headers={"Retry-After": str(int(wait) + 1)})
    user = src.accounts.check_password(name, password, now=now) if name else None
    if user is None:
        # The name may be a password typed into the wrong box: it is not logged.
        log.warning("web: wrong password from %s", client_address(request))
        return None
    src.throttle.succeeded(keys)
    return user


def client_address(request: Request) -> str:
    """The peer's address (the console is served directly, not behind a proxy)."""
    return request.client.host if request.client else "?"


def from_loopback(request: Request) -> bool:
    """Whether the peer is on this machine (Prometheus scraping locally needs no login)."""
    try:
        return ipaddress.ip_address(client_address(request)).is_loopback
    except ValueError:
        return False
