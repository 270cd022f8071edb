"""IP–MAC 台账 (registry, unknown devices seen, approve) and 配置变更 (saved versions, masked diffs)."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from collectors.ssh.configs import unified_diff
from collectors.ssh.history import ConfigHistory
from monitor import wiring
from monitor.core import bindings
from monitor.core.errors import ConfigError
from monitor.web import views
from monitor.web.accounts import Role, User
from monitor.web.auth import check_csrf, page, sources
from monitor.web.sources import Sources

SEEN_DAYS = 7.0
"""How far back unknown devices are listed."""


def registry_view(src: Sources) -> dict[str, Any]:
    """The registry rows (or why there are none) and the unknown MACs seen lately, newest first,
    with the switch and port where a table source told them."""
    settings = src.settings()
    rows: list[dict[str, Any]] = []
    problem = ""
    if settings.bindings.file is None:
        problem = "[bindings] file 未配置 / not configured"
    else:
        try:
            rows = [_binding(b) for b in wiring.load_registry(settings).bindings]
        except ConfigError as err:
            problem = "; ".join(err.problems[:5])
    now = src.clock()
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for r in src.store.query("arp_unknown_mac", now - SEEN_DAYS * 86400.0, now + 1.0):
        key = (r.labels.get("ip", ""), r.labels.get("mac", ""))
        registered = {b["mac"] for b in rows}
        if key[1] in registered:
            continue  # approved since
        seen[key] = {"ip": key[0], "mac": key[1], "vlan": r.labels.get("vlan", ""),
                     "switch": r.labels.get("switch", ""), "port": r.labels.get("port", ""), "ts": r.ts}
    return {"rows": rows, "problem": problem, "file": str(settings.bindings.file or ""),
            "seen": sorted(seen.values(), key=lambda s: -s["ts"])}


def approve(src: Sources, user: User, form: dict[str, str]) -> str:
    """Add one binding to the registry file, validated as ``bindings import`` validates a file;
    the daemon re-reads it at once (a reload). Audited."""
    settings = src.settings()
    target = settings.bindings.file
    if target is None:
        raise HTTPException(409, "[bindings] file is not configured: there is no registry to add to")
    current = wiring.load_registry(settings).bindings if target.exists() else []
    wanted = {c: form.get(c, "").strip()[:200] for c in bindings.COLUMNS}
    out = io.StringIO()
    csv.writer(out).writerows([bindings.COLUMNS, [wanted[c] for c in bindings.COLUMNS]])
    new, problems = bindings.parse_csv(out.getvalue().encode(), "form", settings.bindings.subnets)
    if problems or not new:
        raise HTTPException(400, "; ".join(p.replace("form:2: ", "") for p in problems) or "empty row")
    added = new[0]
    clash = [b for b in current if b.ip == added.ip or b.mac == added.mac]
    if clash:
        raise HTTPException(409, f"already in the registry: {clash[0].ip} {clash[0].mac}")
    bindings.save(target, [*current, added])
    src.audit(who=user.name, action="bindings.approve", target=f"{added.ip} {added.mac}",
              detail=f"{added.hostname} {added.owner} {added.department}".strip())
    src.reload()
    return added.ip


def config_view(src: Sources, device: str, a: int | None, b: int | None) -> dict[str, Any]:
    """Every device's saved configuration versions (masked when saved), and one diff if asked."""
    history = ConfigHistory(src.state_dir / "configs.db")
    try:
        devices = {d.name: history.versions(d.name) for d in src.settings().devices}
        versions = {v.version: v for v in devices.get(device, [])}
        diff = ""
        if a in versions and b in versions:
            diff = unified_diff(versions[a].text, versions[b].text, f"{device} v{a}", f"{device} v{b}")
    finally:
        history.close()
    return {"devices": [{"name": name, "versions": [{"version": v.version, "ts": v.ts, "sha": v.sha256[:12],
                                                     "window": v.window} for v in found]}
                        for name, found in devices.items() if found],
            "device": device, "a": a, "b": b, "diff": diff}


@page(Role.VIEWER)
def registry_page(request: Request, user: User) -> Response:
    """IP–MAC 台账."""
    return views.render(request, "bindings.html.j2", user, view=registry_view(sources(request)),
                        can_approve=user.role.allows(Role.ADMIN))


@page(Role.ADMIN)
async def approve_post(request: Request, user: User) -> Response:
    """Approve one unknown device into the registry."""
    form = await check_csrf(request)
    ip = approve(sources(request), user, form)
    return RedirectResponse(f"/bindings?done=approved+{ip}", status_code=303)


@page(Role.VIEWER)
def config_page(request: Request, user: User) -> Response:
    """配置变更: versions per device; ``?device=X&a=1&b=2`` shows a diff."""
    q = request.query_params
    view = config_view(sources(request), q.get("device", ""), _int(q.get("a")), _int(q.get("b")))
    return views.render(request, "changes.html.j2", user, view=view)


def _binding(b: bindings.Binding) -> dict[str, Any]:
    return {c: ("" if getattr(b, c) is None else getattr(b, c)) for c in bindings.COLUMNS}


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
