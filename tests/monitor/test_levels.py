"""A device's level (003: 1 highest … 3) sets the severity floor of its alerts; a site's own
override still wins, and [notify.levels] replaces the default table."""

from __future__ import annotations

from pathlib import Path

from monitor import config as config_mod
from monitor import wiring
from monitor.core.model import Severity

DEVICES = "".join(
    f'[[devices]]\nname = "{name}"\nkind = "server"\nlevel = {level}\naddress = "192.0.2.{level}"\n'
    'exec = { command = ["true"] }\n'  # never run: only the rules are built
    for name, level in (("db-1", 1), ("app-1", 2), ("pc-1", 3)))


def severities(tmp_path: Path, extra: str = "") -> dict[str, Severity]:
    path = tmp_path / "r.toml"
    path.write_text(f'state_dir = "{tmp_path}"\n{extra}\n{DEVICES}', encoding="utf-8")
    settings, _ = config_mod.load(path)
    [cpu] = [r for r in wiring.build_rules(settings, "r.toml") if r.name == "cpu_high"]
    out = {}
    for name, level in (("db-1", "1"), ("app-1", "2"), ("pc-1", "3")):
        eff = cpu.effective({"device": name, "kind": "server", "level": level})
        assert eff is not None
        out[name] = eff.severity
    return out


def test_level_1_alerts_are_critical_by_default(tmp_path: Path) -> None:
    assert severities(tmp_path) == {"db-1": Severity.CRITICAL, "app-1": Severity.WARNING,
                                    "pc-1": Severity.WARNING}


def test_a_site_override_wins_over_the_floor_and_the_table_is_the_sites(tmp_path: Path) -> None:
    own = '[[rules.overrides]]\nrule = "cpu_high"\nmatch = { device = "db-1" }\nseverity = "warning"\n'
    assert severities(tmp_path, own)["db-1"] is Severity.WARNING
    table = '[notify.levels]\n2 = { severity_floor = "critical" }\n'
    assert severities(tmp_path, table) == {"db-1": Severity.WARNING, "app-1": Severity.CRITICAL,
                                           "pc-1": Severity.WARNING}
