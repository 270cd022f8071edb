"""WinRM transport (pywinrm) for Windows servers without OpenSSH: one PowerShell script per poll
gives the server's own readings and, on a ``kind = "server"`` device, its security posture,
parsed by the same code as Windows over OpenSSH. A refused login is ``winrm_auth_failed`` 1
(the server answered: not down, but not inspected)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from collectors.base import Shared
from collectors.posture import options_of
from collectors.posture.collector import PostureCollector
from collectors.posture.options import PostureOptions
from collectors.posture.windows_script import command
from collectors.winrm.options import SAMPLE, WinrmOptions

if TYPE_CHECKING:  # pywinrm and requests load when a winrm device is built, not with the config
    from collectors.winrm.session import WinrmTarget

Options = WinrmOptions
__all__ = ["SAMPLE", "Options", "build", "target"]


def target(device: str, options: WinrmOptions, *, address: str, port: int | None) -> WinrmTarget:
    """How to reach the device's listener."""
    from collectors.winrm.session import WinrmTarget

    return WinrmTarget(
        device=device, endpoint=options.endpoint(address, port), username=options.username,
        password=options.password.get_secret_value(), auth=options.auth,
        ca_file=str(options.ca_file) if options.ca_file else None,
        verify_certificate=options.verify_certificate, operation_timeout=options.operation_timeout,
        read_timeout=options.read_timeout, command_timeout=options.command_timeout)


def _run(where: WinrmTarget, script: str) -> str:
    from collectors.winrm.session import run_script

    return run_script(where, command(script))


def build(device: Any, options: WinrmOptions, shared: Shared) -> PostureCollector:
    """The server's collector: its readings plus the posture checks it has (none when
    ``posture = false`` or the device is not a server). Posture state is STATE_DIR/posture/."""
    posture = options_of(device) or PostureOptions(enabled=False, checks=[])
    where = target(device.name, options, address=device.address, port=device.port)
    return PostureCollector(device.name, posture, state_dir=shared.state_dir(), os="windows",
                            runner=functools.partial(_run, where), server=True,
                            auth_metric="winrm_auth_failed")
