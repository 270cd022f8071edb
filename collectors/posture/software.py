"""Approved software: the package inventory against the baseline a person approved with
``roomwatch server baseline approve DEVICE`` (《学校网络中心管理制度》第五条; 《保险代理公司信息化管理制度》
第五章 计算机软件管理 第1条).

Files (in ``STATE_DIR/posture/``): ``DEVICE.inventory.json`` is the last inventory read,
``DEVICE.baseline.json`` the approved one. Both are ``{"at": epoch, "packages": {name: version}}``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from collectors.posture.outcome import Builder, Outcome, unavailable

log = logging.getLogger(__name__)


def dpkg_rpm(text: str | None) -> dict[str, str] | None:
    """``ii NAME VERSION`` lines (dpkg-query, or rpm printed the same way) → name → version."""
    if text is None or text.strip() == "nopkgtool":
        return None
    out: dict[str, str] = {}
    for line in text.splitlines():
        words = line.split()
        # dpkg's status abbreviation: "ii" installed; "rc" removed with config left, not software.
        if len(words) >= 3 and words[0] == "ii":
            out[words[1]] = words[2]
    return out or None


@dataclass(frozen=True, slots=True, kw_only=True)
class Diff:
    """Packages installed and removed since the baseline (name → version)."""

    added: Mapping[str, str]
    removed: Mapping[str, str]


def diff(baseline: Mapping[str, str], current: Mapping[str, str]) -> Diff:
    """What changed by name; a new version of an approved package is patching, not new software."""
    return Diff(added={n: v for n, v in current.items() if n not in baseline},
                removed={n: v for n, v in baseline.items() if n not in current})


class Inventories:
    """The inventory and baseline files of the devices of one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "posture"

    def path(self, device: str, kind: str) -> Path:
        """``posture/DEVICE.KIND.json`` (device names are checked plain; keep them so here)."""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", device)
        return self.root / f"{safe}.{kind}.json"

    def read(self, device: str, kind: str) -> tuple[float, dict[str, str]] | None:
        """``(at, packages)`` of the inventory or baseline, None if there is none."""
        try:
            doc = json.loads(self.path(device, kind).read_text(encoding="utf-8"))
            return float(doc["at"]), {str(k): str(v) for k, v in doc["packages"].items()}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            log.warning("posture %s: %s unreadable (%s); treated as missing",
                        device, self.path(device, kind), type(err).__name__)
            return None

    def write(self, device: str, kind: str, at: float, packages: Mapping[str, str]) -> Path:
        """Replace the file atomically."""
        path = self.path(device, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"at": at, "packages": dict(sorted(packages.items()))},
                                  ensure_ascii=False, indent=0), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def approve(self, device: str, now: float) -> tuple[Path, int, float]:
        """Make the last inventory the baseline: (baseline file, package count, inventory time).
        FileNotFoundError when no inventory was read yet."""
        found = self.read(device, "inventory")
        if found is None:
            raise FileNotFoundError(self.path(device, "inventory"))
        at, packages = found
        return self.write(device, "baseline", now, packages), len(packages), at


def judge(store: Inventories, device: str, current: Mapping[str, str] | None, now: float) -> Outcome:
    """``software_added`` / ``software_removed`` against the baseline, with the names as detail."""
    if current is None:
        return unavailable("no package inventory (dpkg-query / rpm / Uninstall registry) could be read")
    store.write(device, "inventory", now, current)
    base = store.read(device, "baseline")
    b = Builder()
    b.add("software_installed_packages", len(current))
    if base is None:
        b.lack(f"no approved software baseline; review and run `roomwatch server baseline approve {device}`")
        return b.done()
    change = diff(base[1], current)
    b.add("software_added", len(change.added))
    b.add("software_removed", len(change.removed))
    b.details("software_added_package", change.added, "package")
    b.details("software_removed_package", change.removed, "package")
    return b.done()
