"""Normalising and masking recorded running configurations; no planted secret survives."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.ssh import configs

DATA = Path(__file__).parent / "data"

# Every secret planted in the recorded configurations; none may survive masking.
PLANTED = [
    "Pl4nted",
    "Huawei/Read",
    "AuthKeyHuawei",
    "PrivKeyHuawei",
    "RadiusHuawei",
    "Pl4ntedH3c",
    "RuijieEnableHash",
    "Pl4ntedRuijie",
]

CASES = [
    ("huawei", "huawei_current_configuration"),
    ("hp_comware", "hp_comware_current_configuration"),
    ("ruijie_os", "ruijie_running_config"),
]


@pytest.mark.parametrize(("dtype", "stem"), CASES)
def test_no_planted_secret_survives(dtype: str, stem: str) -> None:
    text = configs.mask(configs.normalise(dtype, (DATA / f"{stem}.txt").read_text(encoding="utf-8")))
    assert [s for s in PLANTED if s in text] == []
    assert configs.MASK in text


@pytest.mark.parametrize(("dtype", "stem"), CASES)
def test_minimal_variant_is_kept_whole(dtype: str, stem: str) -> None:
    raw = (DATA / f"{stem}_minimal.txt").read_text(encoding="utf-8")
    text = configs.mask(configs.normalise(dtype, raw))
    assert configs.MASK not in text
    assert "sysname" in text or "hostname" in text


def test_volatile_lines_are_dropped() -> None:
    huawei = configs.normalise("huawei", (DATA / "huawei_current_configuration.txt").read_text())
    assert "Last configuration was updated" not in huawei
    assert huawei.startswith("!Software Version V200R019C10SPC500\n")
    ruijie = configs.normalise("ruijie_os", (DATA / "ruijie_running_config.txt").read_text())
    assert "Building configuration" not in ruijie and "Current configuration" not in ruijie
    cisco = configs.normalise(
        "cisco_ios",
        "Building configuration...\n\nCurrent configuration : 99 bytes\n"
        "! Last configuration change at 10:01:02 UTC Mon Mar 2 2026 by admin\n"
        "hostname a\nntp clock-period 17179910\nend\n",
    )
    assert cisco == "hostname a\nend\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("enable secret 5 $1$abcd$xyz", "enable secret 5 <secret-hidden>"),
        (
            "username admin privilege 15 secret 0 Passw0rd",
            "username admin privilege 15 secret 0 <secret-hidden>",
        ),
        ("snmp-server community Publ1c RO", "snmp-server community <secret-hidden> RO"),
        (" password cipher %^%#xx yy%^%#", " password cipher <secret-hidden>"),
        ("snmp-agent community read public", "snmp-agent community read <secret-hidden>"),
        (
            "snmp-server user u g v3 auth sha AuthP priv aes 128 PrivP",
            "snmp-server user u g v3 auth sha <secret-hidden> priv aes 128 <secret-hidden>",
        ),
        ("crypto isakmp key MyKey address 192.0.2.1", "crypto isakmp key <secret-hidden> address 192.0.2.1"),
        ("tacacs-server key 7 0822455D0A16", "tacacs-server key 7 <secret-hidden>"),
        ("service password-encryption", "service password-encryption"),
        (" description key room uplink", " description key room uplink"),
        (" ssh user admin authentication-type password", " ssh user admin authentication-type password"),
    ],
)
def test_mask_line(line: str, expected: str) -> None:
    assert configs.mask_line(line) == expected


def test_diff_and_trim() -> None:
    diff = configs.unified_diff("a\nb\n", "a\nc\n", "sw v1", "sw v2")
    assert diff.splitlines()[:2] == ["--- sw v1", "+++ sw v2"]
    assert "-b" in diff and "+c" in diff
    long = "\n".join(f"+line {i}" for i in range(100))
    cut = configs.trim(long, 120)
    assert len(cut) < 160 and cut.endswith("more lines)")
