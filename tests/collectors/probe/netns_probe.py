"""Run inside a test's network namespace: probe the links given as JSON, print what each gave.

``python netns_probe.py '[{"name": …, "kind": …, "target": …}, …]'`` prints one JSON object:
link name → ``{"readings": {metric: value}, "privileged": …}`` or ``{"error": "…"}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from collectors.probe.collector import LinkCollector
from collectors.probe.options import Link
from monitor.core.errors import CollectError


async def probe(specs: list[dict[str, Any]]) -> dict[str, Any]:
    """Probe every link concurrently, as the scheduler would."""

    async def one(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        collector = LinkCollector(Link(**spec))
        try:
            readings = await collector.collect(0.0)
        except CollectError as err:
            return spec["name"], {"error": str(err)}
        finally:
            await collector.close()
        return spec["name"], {"readings": {r.metric: r.value for r in readings},
                              "privileged": collector.privileged}

    return dict(await asyncio.gather(*(one(spec) for spec in specs)))


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(json.loads(sys.argv[1])))))
