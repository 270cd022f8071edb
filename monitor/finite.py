"""The one gate every collector's readings pass before store and engine: non-finite values out.

A script printing ``inf``, an SNMP counter divided by a zero interval, a probe that measured
nothing: such a value cannot be judged, summed or charted, and once summed into a rollup
(``inf + -inf``) it broke the store for every device. It is refused here, with one warning per
device and metric when it starts and one line when the values are finite again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from monitor.core.model import Reading

log = logging.getLogger(__name__)


class FiniteGate:
    """Drops readings whose value or timestamp is not a finite number; remembers which
    (device, metric) are refusing so the log says it once per change, not once per reading."""

    def __init__(self) -> None:
        self.refused = 0
        """Readings refused since start."""
        self._bad: set[tuple[str, str]] = set()

    def __call__(self, readings: Sequence[Reading]) -> list[Reading]:
        """The finite readings of ``readings``, in order."""
        kept: list[Reading] = []
        for r in readings:
            key = (r.labels.get("device", "?"), r.metric)
            if _finite(r.value) and _finite(r.ts):
                kept.append(r)
                if self._bad and key in self._bad:
                    self._bad.discard(key)
                    log.info("device=%s metric=%s values are finite again", *key)
                continue
            self.refused += 1
            if key not in self._bad:
                self._bad.add(key)
                log.warning("device=%s metric=%s value %r is not a finite number; refused "
                            "(said once until the values are finite again)", *key, r.value)
        return kept


def _finite(value: object) -> bool:
    try:
        return math.isfinite(value)  # type: ignore[arg-type]
    except TypeError:
        return False
