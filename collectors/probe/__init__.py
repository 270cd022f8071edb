"""Network channels and services (``[[links]]``): the 网络通道 item of 003's daily inspection
(LAN, private line, Internet) and 000's 5-minute website check, as ``link_loss_percent`` and
``link_rtt_ms`` readings from ICMP echo, TCP connect or HTTP(S) GET.

``options.Link`` is the config model, ``collector.LinkCollector`` probes one link per cycle.
"""

from __future__ import annotations

from collectors.probe.options import SAMPLE, Link, check_links

__all__ = ["SAMPLE", "Link", "check_links"]
