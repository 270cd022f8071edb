"""The annotated sample config (``roomwatch config sample``), put together from its owners' parts:
the general sections, then each source's and each registered transport's ``SAMPLE``."""

from __future__ import annotations

from importlib import resources

from collectors import arp, probe, transports, traps

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
    parts = [general, arp.SAMPLE, traps.SAMPLE, probe.SAMPLE, _INVENTORY]
    parts += [t.sample for t in transports()]
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)
