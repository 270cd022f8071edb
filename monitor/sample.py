"""The annotated sample config (``roomwatch config sample``), put together from its owners' parts:
the general sections, the SMS/voice receiver kinds (commented), then each source's and each
registered transport's ``SAMPLE``."""

from __future__ import annotations

from importlib import resources

from alerts.notifiers import kinds
from collectors import arp, backup, posture, probe, syslog, transports, traps

_INVENTORY = """\
# The inventory. Addresses in this sample are documentation addresses (RFC 5737).
# kind: switch | router | firewall | ups | sensor | server
# level: criticality 1 (highest) to 3, as in 003 账号及密码管理制度
# parent: the device this one hangs behind (for alert suppression)
# Each device has at most one transport sub-table; the transports follow.
"""


def render() -> str:
    """The whole sample, every option shown with its default or an example."""
    general = resources.files("monitor").joinpath("sample_sections.toml").read_text(encoding="utf-8")
    parts = [general, kinds.commented(), arp.SAMPLE, traps.SAMPLE, syslog.SAMPLE, probe.SAMPLE, _backups(),
             _INVENTORY]
    parts += [t.sample for t in transports()]
    parts.append(posture.SAMPLE)  # a per-device option of servers, after the transports it rides on
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)


def _backups() -> str:
    # Commented out: every job needs a real repository and its password (env:/file:).
    lines = backup.SAMPLE.rstrip("\n").split("\n")
    return backup.SAMPLE_INTRO + "".join(("# " + line if line else "#") + "\n" for line in lines)
