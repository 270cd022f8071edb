"""CLI tables parsed with TextFSM: ARP, MAC address table, interface status, temperatures.

Templates come from ntc-templates where one fits; where none does (or it drops a column the
IP–MAC checks need) the template lives in ``collectors/ssh/templates/``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import textfsm

from collectors.ssh.configs import family

log = logging.getLogger(__name__)

_OURS = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Source:
    """One CLI table: the command to run and the TextFSM template that reads it."""

    command: str
    template: str  # "ntc:<name>" for ntc-templates, else a file in our templates folder


# What each configuration dialect is asked, per table. Missing entries are not collected.
COMMANDS: dict[str, dict[str, Source]] = {
    "cisco": {
        "config": Source("show running-config", ""),
        "arp": Source("show ip arp", "ntc:cisco_ios_show_ip_arp"),
        "mac": Source("show mac address-table", "ntc:cisco_ios_show_mac-address-table"),
        "interfaces": Source("show interfaces status", "ntc:cisco_ios_show_interfaces_status"),
    },
    "huawei": {
        "config": Source("display current-configuration", ""),
        "arp": Source("display arp", "huawei_display_arp"),
        "mac": Source("display mac-address", "ntc:huawei_vrp_display_mac-address"),
        "interfaces": Source("display interface brief", "ntc:huawei_vrp_display_interface_brief"),
        "environment": Source("display environment", "huawei_display_environment"),
    },
    "hp_comware": {
        "config": Source("display current-configuration", ""),
        "arp": Source("display arp", "ntc:hp_comware_display_arp"),
        "mac": Source("display mac-address", "ntc:hp_comware_display_mac-address"),
        "interfaces": Source("display interface brief", "ntc:hp_comware_display_interface_brief"),
        "environment": Source("display environment", "hp_comware_display_environment"),
    },
    "ruijie": {
        "config": Source("show running-config", ""),
        "arp": Source("show arp", "ruijie_show_arp"),
        "mac": Source("show mac-address-table", "ruijie_show_mac-address-table"),
        "environment": Source("show temperature", "ruijie_show_temperature"),
    },
}


@dataclass(frozen=True, slots=True)
class ArpEntry:
    """One ARP entry as the IP–MAC checks consume it; ``mac`` is ``aa:bb:cc:dd:ee:ff``."""

    ip: str
    mac: str
    interface: str
    vlan: str  # "" when the device does not say


@dataclass(frozen=True, slots=True)
class MacEntry:
    """One MAC address table entry: where a MAC was learned."""

    mac: str
    vlan: str
    interface: str


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """Whether an interface is operationally up."""

    ifname: str
    up: bool


@dataclass(frozen=True, slots=True)
class Temperature:
    """One temperature sensor of the device, in °C."""

    sensor: str
    celsius: float


class ParseError(ValueError):
    """The output did not fit the template (an unexpected line, a prompt or an error)."""


def source(device_type: str, table: str) -> Source | None:
    """The command and template for a table on a device type, if roomwatch knows one."""
    return COMMANDS.get(family(device_type), {}).get(table)


def rows(device_type: str, table: str, text: str) -> list[dict[str, str]]:
    """TextFSM rows (upper-case keys as in the template) of one table's output."""
    src = source(device_type, table)
    if src is None or not src.template:
        raise ParseError(f"no template for {table} on {device_type}")
    fsm = textfsm.TextFSM(_open(src.template))
    try:
        parsed = fsm.ParseTextToDicts(text)
    except textfsm.TextFSMError as err:
        raise ParseError(f"{src.command}: {err}") from None
    return [{k: (v if isinstance(v, str) else " ".join(v)) for k, v in row.items()} for row in parsed]


def arp_table(device_type: str, text: str) -> list[ArpEntry]:
    """ARP entries (ip, mac, interface, vlan) from the device's ARP command output."""
    out = []
    for row in rows(device_type, "arp", text):
        interface = row.get("INTERFACE", "")
        vlan = row.get("VLAN") or row.get("VLAN_ID") or ""
        if vlan in ("N/A", "-"):
            vlan = ""
        out.append(ArpEntry(row["IP_ADDRESS"], mac48(row["MAC_ADDRESS"]), interface,
                            vlan or _vlan_of(interface)))
    return out


def mac_table(device_type: str, text: str) -> list[MacEntry]:
    """MAC address table entries (mac, vlan, interface)."""
    out = []
    for row in rows(device_type, "mac", text):
        mac = row.get("MAC_ADDRESS") or row.get("DESTINATION_ADDRESS", "")
        port = row.get("INTERFACE") or row.get("DESTINATION_PORT", "")
        out.append(MacEntry(mac48(mac), row.get("VLAN_ID", ""), port))
    return out


def interface_states(device_type: str, text: str) -> list[InterfaceState]:
    """Operational state of each interface."""
    out = []
    for row in rows(device_type, "interfaces", text):
        name = row.get("INTERFACE") or row.get("PORT", "")
        state = (row.get("PHY") or row.get("LINK") or row.get("STATUS", "")).lower()
        out.append(InterfaceState(name, state.startswith(("up", "connected"))))
    return out


def temperatures(device_type: str, text: str) -> list[Temperature]:
    """Temperature sensors of the device (slot, or slot/sensor where several)."""
    out = []
    for row in rows(device_type, "environment", text):
        sensor = row["SLOT"] if not row.get("SENSOR") else f"{row['SLOT']}/{row['SENSOR']}"
        out.append(Temperature(sensor, float(row["TEMPERATURE"])))
    return out


def mac48(text: str) -> str:
    """Any vendor MAC spelling (``a4c6-4f11-2201``, ``a4c6.4f11.2201``) as ``a4:c6:4f:11:22:01``."""
    digits = "".join(ch for ch in text.lower() if ch in "0123456789abcdef")
    if len(digits) != 12:
        return text.lower()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def _vlan_of(interface: str) -> str:
    """The VLAN of an L3 VLAN interface name (``Vlanif10``, ``Vlan-interface10``, ``VLAN 10``)."""
    lowered = interface.lower().replace(" ", "")
    for prefix in ("vlan-interface", "vlanif", "vlan"):
        if lowered.startswith(prefix) and lowered[len(prefix):].isdigit():
            return lowered[len(prefix):]
    return ""


@cache
def _template_text(name: str) -> str:
    if name.startswith("ntc:"):
        import ntc_templates

        path = Path(ntc_templates.__file__).parent / "templates" / f"{name[4:]}.textfsm"
    else:
        path = _OURS / f"{name}.textfsm"
    return path.read_text(encoding="utf-8")


def _open(name: str) -> object:
    import io

    return io.StringIO(_template_text(name))
