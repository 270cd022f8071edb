"""Rule files and overrides: the good ones load, bad ones list every problem with its place.

Bad files live under ``data/`` beside the exact messages they must produce (``*.expected``).
"""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

import pytest

from monitor.core.errors import ConfigError
from monitor.core.model import Severity
from rules.loader import apply_overrides, load_file, load_pack, load_text
from rules.rule import Condition, Rule

DATA = Path(__file__).parent / "data"
SEEDS = Path("/work/shared/seeds")  # the regulations; only present in the development checkout
PACK = load_pack("regulation") + load_pack("posture")  # the packs on by default


@pytest.mark.parametrize("name", sorted(p.stem for p in (DATA / "files").glob("*.expected")))
def test_bad_rule_file_reports_every_problem(name: str) -> None:
    expected = (DATA / "files" / f"{name}.expected").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ConfigError) as err:
        load_file(DATA / "files" / f"{name}.toml", where=f"{name}.toml")
    assert err.value.problems == expected


def test_bad_overrides_report_every_problem() -> None:
    doc = tomllib.loads((DATA / "overrides" / "roomwatch.toml").read_text(encoding="utf-8"))
    expected = (DATA / "overrides" / "roomwatch.expected").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ConfigError) as err:
        apply_overrides(PACK, doc["rules"]["overrides"], "roomwatch.toml: rules.overrides")
    assert err.value.problems == expected


def test_good_site_file_loads() -> None:
    rules = {r.name: r for r in load_file(DATA / "files" / "good_site.toml")}
    assert list(rules) == ["uplink_errors", "printer_toner_low", "server_room_b_temperature"]
    errors = rules["uplink_errors"]
    assert (errors.condition, errors.for_s, errors.severity) == (
        Condition.above(10, hysteresis=2), 90.0, Severity.INFO)
    assert errors.matches({"device": "core-sw-1", "ifname": "GI1/0/48"})
    assert not errors.matches({"device": "lab-sw", "ifname": "Gi1/0/48"})
    assert not errors.matches({"device": "core-sw-1", "ifname": "Gi1/0/4"})
    room_b = rules["server_room_b_temperature"]
    assert room_b.matches({"room": "二号机房", "kind": "sensor", "level": "1"})  # level = 1 → "1"
    assert room_b.description == ""


def test_path_is_the_default_location(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('[[rules]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_file(path)
    assert err.value.problems[0].startswith(f"{path}: rules[0].metric: required but missing")
    with pytest.raises(ConfigError) as err:
        load_file(tmp_path / "absent.toml")
    assert err.value.problems[0] == f"{tmp_path / 'absent.toml'}: no such file"


def test_empty_file_has_no_rules() -> None:
    assert load_text("# nothing yet\n", "empty.toml") == []


def test_unknown_pack() -> None:
    with pytest.raises(FileNotFoundError):
        load_pack("nosuch")
    with pytest.raises(FileNotFoundError):
        load_pack("../packs/regulation")


def test_same_rule_name_in_two_files_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        apply_overrides([*PACK, PACK[0]], [], "roomwatch.toml: rules.overrides")
    assert err.value.problems == [
        "roomwatch.toml: rules: rule 'room_temperature' is defined in more than one pack or file"]


def test_override_of_hysteresis_alone_and_int_thresholds_from_the_inventory() -> None:
    rules = apply_overrides(PACK, [
        {"rule": "room_temperature", "hysteresis": 1},
        {"rule": "ups_runtime_low", "match": {"device": "ups-1"}, "below": 480},
    ], "roomwatch.toml: rules.overrides")
    by = {r.name: r for r in rules}
    eff = by["room_temperature"].effective({"kind": "sensor"})
    assert eff is not None and eff.condition == Condition.outside(18, 28, hysteresis=1)
    runtime = by["ups_runtime_low"].effective({"device": "ups-1"})
    assert runtime is not None and runtime.condition == Condition.below(480, hysteresis=5)


# --- the shipped regulation pack ----------------------------------------------------------

DOCS = Path(__file__).parents[2] / "docs" / "regulations.md"


def _digest() -> dict[str, tuple[str, set[str]]]:
    """docs/regulations.md's table: clause -> (source file:line, the rules it lists)."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("《"):
            rows[cells[0]] = (cells[1], set(cells[3].split(", ")))
    return rows


@pytest.mark.parametrize("rule", PACK, ids=lambda r: r.name)
def test_every_pack_rule_cites_document_and_article(rule: Rule) -> None:
    parts = rule.clause.split("；")
    for part in parts:
        assert re.fullmatch(r"《[^《》]+》\S.*", part), part  # 《document》 then the article
        assert not re.search(r"\d{3}_[0-9a-f]{16}|\.txt|范文", part), part


def test_regulations_digest_lists_every_clause_and_its_rules() -> None:
    digest = _digest()
    cited: dict[str, set[str]] = {}
    for rule in PACK:
        for part in rule.clause.split("；"):
            cited.setdefault(part, set()).add(rule.name)
    assert {c: rules for c, (_src, rules) in digest.items()} == cited
    if SEEDS.is_dir():  # the development checkout has the source texts: each source line exists
        for clause, (source, _rules) in digest.items():
            prefix, line = source.split(":")
            text = next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8").splitlines()
            assert text[int(line) - 1].strip(), f"{clause}: {source} is a blank line"


def test_a_site_cites_its_own_regulation() -> None:
    own = "《XX医院信息机房管理规定》第十二条"
    rules = apply_overrides(PACK, [{"rule": "room_temperature", "clause": own}], "roomwatch.toml")
    changed = next(r for r in rules if r.name == "room_temperature")
    assert changed.clause == own and changed.overrides == ()
    assert [r.clause for r in rules if r.name != "room_temperature"] == \
        [r.clause for r in PACK if r.name != "room_temperature"]


# Rules whose every number is the regulation's ("any change", "on battery", "degraded"…).
REGULATION_ONLY = {"ups_on_battery", "ups_battery_replace", "raid_degraded", "config_changed",
                   "config_changed_in_window", "website_unavailable",
                   "arp_unknown_mac", "arp_ip_mismatch", "arp_ip_conflict",
                   "arp_gateway_spoof", "arp_mac_moved", "arp_port_macs", "arp_capture_down",
                   "trap_receiver_down", "backup_not_verified", "restore_test_overdue",
                   "restore_test_failed", "backup_offsite_stale", "backup_modified",
                   # posture: any finding breaks the regulation
                   "av_not_installed", "av_realtime_off", "usb_storage_allowed", "removable_media_mounted",
                   "optical_drive_enabled", "password_too_short", "password_classes_weak", "egress_public",
                   "egress_mail", "log_truncated", "log_removed", "journal_cleared", "log_cleared",
                   "software_unapproved", "software_removed", "privileged_account_unapproved",
                   "journal_gap"}


@pytest.mark.parametrize("rule", PACK, ids=lambda r: r.name)
def test_rules_with_site_policy_numbers_say_so(rule: Rule) -> None:
    text = "".join(rule.description.split())
    english = " ".join(rule.description.split())
    says = "本站策略，非规章规定" in text and "site policy, not regulation" in english
    assert says != (rule.name in REGULATION_ONLY)


@pytest.mark.parametrize("rule", PACK, ids=lambda r: r.name)
def test_every_summary_renders_in_chinese_with_all_labels(rule: Rule) -> None:
    labels = {"device": "d", "sensor": "s", "mount": "/", "array": "md0", "ifname": "Gi0/1",
              "link": "互联网", "ip": "192.0.2.9", "mac": "00:00:5e:00:53:01", "job": "oa-db",
              "window": "周六维护", "switch": "acc-sw-3", "port": "GE0/0/5", "from_port": "GE0/0/6",
              "interface": "eth1", "reason": "no CAP_NET_RAW", "output": "influxdb",
              "unit": "1", "alarm": "high_pressure", "zone": "北", "door": "正门", "phase": "1",
              "product": "clamav", "check": "software", "path": "/var/log/auth.log", "log": "Security"}
    text = rule.render(labels, 1.0, rule.condition)
    assert "?" not in text and "{" not in text and re.search(r"[\u4e00-\u9fff]", text)


RULE = """
[[rules]]
name = "hot_cpu"
metric = "temperature_celsius"
{select}
above = 70
severity = "warning"
summary = "{{device}}"
clause = "《本院信息机房管理规定》第十二条"
"""


def test_rules_take_the_routes_matcher_syntax_and_the_old_form_warns(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rules.fields"):
        [new] = load_text(RULE.format(select='matchers = ["kind!=sensor", "sensor=~(?i)cpu.*"]'), "new.toml")
    assert caplog.records == []
    with caplog.at_level(logging.WARNING, logger="rules.fields"):
        [old] = load_text(RULE.format(select='match = { kind = "!sensor", sensor = "~(?i)cpu.*" }'),
                          "old.toml")
    assert [r.getMessage() for r in caplog.records] == [
        "old.toml: rules[0].match.kind: '!sensor' is the old matcher form; write matchers = "
        "['kind!=sensor'] (the old form still works)",
        "old.toml: rules[0].match.sensor: '~(?i)cpu.*' is the old matcher form; write matchers = "
        "['sensor=~(?i)cpu.*'] (the old form still works)"]
    for labels, hit in [({"kind": "server", "sensor": "CPU0"}, True),
                        ({"kind": "sensor", "sensor": "cpu"}, False),
                        ({"kind": "server", "sensor": "board"}, False), ({"sensor": "cpu1"}, True)]:
        assert (new.matches(labels), old.matches(labels)) == (hit, hit)


@pytest.mark.parametrize(("select", "problem"), [
    ('matchers = "kind=sensor"', "bad.toml: rules[0].matchers: expected a list such as [\"kind!=sensor\"], "
                                 "got 'kind=sensor'"),
    ('matchers = ["kind"]', "bad.toml: rules[0].matchers[0]: 'kind' is not a matcher like device=core-sw-1 "
                            "or severity=~warn.*"),
])
def test_a_bad_matcher_names_its_place(select: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_text(RULE.format(select=select), "bad.toml")
    assert err.value.problems == [problem]


def test_overrides_take_matchers_too() -> None:
    got = next(r for r in apply_overrides(PACK, [{"rule": "room_temperature", "matchers": ["room=~UPS.*"],
                                                   "outside": [18, 30]}], "r.toml")
               if r.name == "room_temperature")
    ups, room1 = {"kind": "sensor", "room": "UPS间"}, {"kind": "sensor", "room": "一号机房"}
    assert got.effective(ups).condition.high == 30 and got.effective(room1).condition.high == 28
