"""The demo machine room (devices, the config roomwatch runs with) and the scripted incident:
temperature drifting to 29 °C and back, the core switch's configuration saved outside the
maintenance window (its own syslog says by whom), the UPS on battery, an uplink down."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from monitor.demo import arp
from monitor.demo.agents import SnmpDevice

IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
UPS_OUTPUT_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"  # RFC 1628: normal(3), battery(5)
UPLINK_IFINDEX, UPLINK = 6, "GigabitEthernet0/0/1"  # the core switch recording's first GE port
ON_MAINS, ON_BATTERY, IF_UP, IF_DOWN = 3, 5, 1, 2

# Each device has a loopback address of its own, as real devices have their own addresses.
CORE = SnmpDevice(name="core-sw-1", recording="network/router/huawei-s5720", address="127.0.0.11",
                  writable=(f"{IF_OPER_STATUS}.{UPLINK_IFINDEX}",))
ACCESS = SnmpDevice(name="access-sw-1", recording="network/switch/h3c-comware-lsq1wcmd0",
                    address="127.0.0.12")
FIREWALL = SnmpDevice(name="fw-1", recording="network/firewall/sangfor-ad1800-fp2", address="127.0.0.13")
UPS = SnmpDevice(name="ups-1", recording="UPS/eaton-93e-80", address="127.0.0.14",
                 writable=(UPS_OUTPUT_SOURCE,))
PDU = SnmpDevice(name="pdu-a1", recording="UPS/apc-7902b", address="127.0.0.15")
SNMP_DEVICES = (CORE, ACCESS, FIREWALL, UPS, PDU)
KINDS = {"core-sw-1": "switch", "access-sw-1": "switch", "fw-1": "firewall", "ups-1": "ups",
         "pdu-a1": "sensor"}
PARENTS = {"access-sw-1": "core-sw-1", "fw-1": "core-sw-1"}
SENSOR, SENSOR_ADDRESS = "th-1", "127.0.0.16"
TEMPERATURE, HUMIDITY = 0, 1  # the sensor's holding registers, tenths of °C and of %RH
RECEIVER = "duty"
OPERATOR = "admin"  # who saves the core switch's configuration in the scenario
WINDOW = "周六夜间变更窗口"


@dataclass(frozen=True, kw_only=True)
class Step:
    """One scripted change at a share ``at`` (0–1) of the run: what people see, what is done."""

    at: float
    says: str
    temperature: float | None = None  # the sensor's new reading, °C
    ups_source: int | None = None
    uplink: int | None = None
    saved_by: str | None = None  # the core switch sends its syslog: configuration saved by this user
    rogue: bool = False  # an unregistered host sends ARP (only when the demo runs as root)


STEPS = (
    Step(at=0.0, says="一切正常：温度 24.0 °C，UPS 市电供电，上联口 up", temperature=24.0),
    Step(at=0.1, says="空调效率下降，温度 26.0 °C", temperature=26.0),
    Step(at=0.2, says="温度 27.5 °C", temperature=27.5),
    Step(at=0.25, says=f"{OPERATOR} 在维护窗口外保存了核心交换机配置（交换机发出 syslog）",
         saved_by=OPERATOR),
    Step(at=0.3, says="温度 29.0 °C（超出 18–28 °C）", temperature=29.0),
    Step(at=0.35, says="一台未登记的主机接入网络并发出 ARP", rogue=True),
    Step(at=0.4, says="市电中断：UPS 转电池供电", ups_source=ON_BATTERY),
    Step(at=0.5, says=f"核心交换机上联口 {UPLINK} 断开", uplink=IF_DOWN),
    Step(at=0.65, says="市电恢复；空调恢复，温度 26.5 °C", ups_source=ON_MAINS, temperature=26.5),
    Step(at=0.75, says=f"上联口 {UPLINK} 恢复", uplink=IF_UP),
    Step(at=0.85, says="温度回到 24.0 °C", temperature=24.0),
)
# The rules this scenario must break, each told to the receiver with its clause.
EXPECTED_RULES = ("room_temperature", "config_saved_outside_window", "ups_on_battery", "uplink_down")
ARP_RULE = "arp_unknown_mac"  # expected too when the demo runs as root


def saved_message(user: str) -> bytes:
    """What a Huawei VRP switch sends by syslog when ``user`` saves its configuration (the
    command record roomwatch's syslog catalog reads the user from)."""
    stamp = dt.datetime.now().strftime("%b %d %Y %H:%M:%S")
    return (f"<189>{stamp} {CORE.name} %%01SHELL/5/CMDRECORD(s)[27]:Recorded command information. "
            f"(Task=VT0, Ip=127.0.0.1, VpnName=, User={user}, AuthenticationMethod=\"Password\", "
            f"Command=\"save\")").encode()


def window(now: dt.datetime) -> str:
    """The demo's maintenance window: the coming Saturday night (UTC, as ``now``), so the save
    happens outside it."""
    start = (now + dt.timedelta(days=(5 - now.weekday()) % 7 or 7)).replace(
        hour=22, minute=0, second=0, microsecond=0)
    until = start + dt.timedelta(hours=4)
    return (f'[[maintenance]]\nname = "{WINDOW}"\nfrom = "{start:%Y-%m-%dT%H:%M}"\n'
            f'until = "{until:%Y-%m-%dT%H:%M}"\ntimezone = "UTC"\n')


def config(*, state: Path, snmp_port: int, modbus_port: int, syslog_port: int, sink_url: str,
           interval: str, stale_after: str, now: dt.datetime, bindings: Path | None = None) -> str:
    """The TOML roomwatch runs with in the demo (``now``: UTC, for the maintenance window;
    ``bindings``: the IP–MAC registry when the ARP step runs, sniffing the demo's veth)."""
    devices = []
    for d in SNMP_DEVICES:
        roles = f'\ninterface_roles = {{ "{UPLINK}" = "uplink" }}' if d is CORE else ""
        parent = f'\nparent = "{PARENTS[d.name]}"' if d.name in PARENTS else ""
        devices.append(f'''[[devices]]
name = "{d.name}"
kind = "{KINDS[d.name]}"
room = "一号机房"
level = 1
address = "{d.address}"
port = {snmp_port}{parent}
[devices.snmp]
version = "2c"
community = "{d.community}"
timeout = "2s"
retries = 0{roles}
''')
    registers = ",\n  ".join(_inline(r) for r in _registers())
    return f'''# roomwatch demo: simulated devices on loopback (see `roomwatch demo --help`)
state_dir = "{state}"

[defaults]
interval = "{interval}"
jitter = "0s"

[rules]
evaluate_interval = "1s"
# An event (a configuration saved) stays firing until its series is silent this long.
stale_after = "{stale_after}"

# Time is shortened for the demo: the pack waits 1 minute before calling an uplink down, and
# 2 minutes before paging a UPS on battery (longer than a daily self-test).
[[rules.overrides]]
rule = "uplink_down"
for = "0s"

[[rules.overrides]]
rule = "ups_on_battery"
for = "0s"

[store.sqlite]
flush_interval = "1s"

[notify]
urls = ["{sink_url}"]
retry_initial = "500ms"
retry_max = "2s"

# The core switch's own syslog (sent from its address) says who saved its configuration.
[syslog]
enabled = true
listen = ["udp://127.0.0.1:{syslog_port}"]

{window(now)}{_arp(bindings)}
{"".join(devices)}
[[devices]]
name = "{SENSOR}"
kind = "sensor"
room = "一号机房"
level = 1
address = "{SENSOR_ADDRESS}"
port = {modbus_port}
[devices.modbus]
unit_id = 1
timeout = "2s"
registers = [
  {registers}
]
'''


def _arp(bindings: Path | None) -> str:
    if bindings is None:
        return ""
    return f'''
# Root only: roomwatch listens for ARP on its end of the demo's veth pair.
[arp]
interfaces = ["{arp.IFACE}"]

[bindings]
file = "{bindings}"
subnets = ["{arp.SUBNET}"]
'''


def _inline(value: object) -> str:
    """A TOML inline value (tables, strings, numbers) for the registers list."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def _registers() -> list[dict[str, object]]:
    return [
        {"metric": "temperature_celsius", "address": TEMPERATURE, "function": "holding", "type": "int16",
         "scale": 0.1, "labels": {"sensor": "north"}},
        {"metric": "humidity_percent", "address": HUMIDITY, "function": "holding", "type": "int16",
         "scale": 0.1, "labels": {"sensor": "north"}},
    ]
