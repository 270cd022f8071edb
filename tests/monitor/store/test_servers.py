"""The test servers themselves: a port taken between picking it and binding it is picked again."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.monitor.store.servers import VictoriaMetrics


def test_a_server_whose_port_was_taken_starts_on_another(tmp_path: Path) -> None:
    vm = VictoriaMetrics(tmp_path / "vm")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        vm.port = taken  # as if another process bound it after free_port() chose it
        vm.start()
        try:
            assert vm.port != taken and vm.export() == []
        finally:
            vm.stop()
