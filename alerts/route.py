"""The routing stage: which routes (receiver + grouping + timing) an alert goes to, and its group."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerts.config import NotifySettings, Route, default_route
from alerts.group import GroupKey
from monitor.core.matchers import Matcher, all_match, from_dict, parse_matchers


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    """A route with its matchers parsed, and its position (part of every group key)."""

    index: int
    spec: Route
    matchers: tuple[Matcher, ...]

    def group_key(self, labels: Mapping[str, str]) -> tuple[GroupKey, dict[str, str]]:
        """The key of the group ``labels`` fall into on this route, and the group's labels."""
        if self.spec.group_by == ["..."]:
            shown = dict(labels)
        else:
            shown = {k: labels.get(k, "") for k in self.spec.group_by}
        text = json.dumps(shown, sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]
        return GroupKey(route=self.index, receiver=self.spec.receiver, digest=digest), shown


def compile_routes(routes: Sequence[Route]) -> list[CompiledRoute]:
    """Parse every route's matchers once."""
    return [CompiledRoute(i, r, from_dict(r.match) + parse_matchers(r.matchers))
            for i, r in enumerate(routes)]


def match(routes: Sequence[CompiledRoute], labels: Mapping[str, str]) -> list[CompiledRoute]:
    """Routes taking an alert: the first match, and later ones while ``continue`` is set."""
    taken = []
    for route in routes:
        if all_match(route.matchers, labels):
            taken.append(route)
            if not route.spec.continue_:
                break
    return taken


def routes_of(settings: NotifySettings, receivers: Sequence[str]) -> list[Route]:
    """The routing tree: the configured routes, else the one the shorthand stands for (``urls``,
    the first receiver, or the first of ``receivers`` built from bare URLs in tests and
    ``test-notify``)."""
    if settings.routes:
        return list(settings.routes)
    if settings.urls:
        return [Route.model_validate(default_route())]
    if settings.receivers:
        return [Route(receiver=settings.receivers[0].name)]
    if receivers:
        return [Route.model_validate(default_route() | {"receiver": receivers[0]})]
    return []
