"""Run a fake-switches Cisco switch on loopback for tests: ``python fake_cisco.py PORT``.

Its running-config gets extra lines from the environment (FAKE_CISCO_EXTRA, one per line) so
tests can plant secrets in it; everything else is fake-switches' own Cisco model.
"""

from __future__ import annotations

import logging
import os
import sys

from fake_switches import switch_factory
from fake_switches.cisco.command_processor import enabled
from fake_switches.transports.ssh_service import SwitchSshService
from twisted.internet import reactor

EXTRA = [line for line in os.environ.get("FAKE_CISCO_EXTRA", "").split("\n") if line]
_show_run = enabled.EnabledCommandProcessor.show_run


def _show_run_with_extra(self: enabled.EnabledCommandProcessor) -> None:
    write = self.write_line

    def write_line(line: str) -> None:
        write(line)
        if line.startswith("hostname "):
            for extra in EXTRA:
                write(extra)

    self.write_line = write_line
    try:
        _show_run(self)
    finally:
        self.write_line = write


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    port = int(sys.argv[1])
    core = switch_factory.SwitchFactory().get("cisco_generic", "fake-sw", "enable-pw")
    users = {"netops": b"sw-login-pw"}
    service = SwitchSshService(ip="127.0.0.1", port=port, switch_core=core, users=users)
    service.hook_to_reactor(reactor)
    enabled.EnabledCommandProcessor.show_run = _show_run_with_extra
    print("listening", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
