"""The ``winrm`` device sub-table: where the WinRM listener is, the login, the timeouts."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from monitor.core.durations import Duration
from monitor.core.options import PluginOptions
from monitor.core.secrets import Secret

SAMPLE = """\
# An older Windows server (2012 R2 / 2016 with PowerShell 5.1, no OpenSSH) read over WinRM: one PowerShell
# script per poll gives its CPU, memory, fixed-disk use and uptime, and the security posture
# checks (the same as over OpenSSH). NTLM over HTTP encrypts every message; "basic" needs https.
# The account needs local administrator rights for secedit and the pending-updates search.
[[devices]]
name = "win-old-01"
kind = "server"
address = "192.0.2.32"
room = "一号机房"
[devices.winrm]
username = "roomwatch"
password = "env:ROOMWATCH_WINRM_PASSWORD"   # or "file:win-old-01" (systemd credential); never printed
auth = "ntlm"                   # ntlm | basic
https = false                   # true: port 5986 and the server's certificate checked
# port = 5985                   # default 5985 (http) / 5986 (https)
# ca_file = "/etc/roomwatch/winrm-ca.pem"   # trust this CA for the https listener
verify_certificate = true       # false only while testing: the listener's identity goes unchecked
operation_timeout = "20s"       # one WS-Management request on the server
read_timeout = "30s"            # connect and wait for one HTTP answer; above operation_timeout
command_timeout = "120s"        # the whole script, all answers together
"""


class WinrmOptions(PluginOptions):
    """Read a Windows server over WS-Management (pywinrm): the ``winrm`` sub-table."""

    needs_address: ClassVar[bool] = True

    username: str = Field(min_length=1, description="Login name (DOMAIN\\\\user or user).")
    password: Secret = Field(description="Password (env:/file: allowed).")
    auth: Literal["ntlm", "basic"] = Field(
        "ntlm", description="ntlm (messages encrypted even over http) or basic (only with https).")
    https: bool = Field(False, description="Use the https listener (default port 5986).")
    port: int | None = Field(None, ge=1, le=65535, description="Listener port; default 5985 / 5986.")
    ca_file: Path | None = Field(None, description="CA bundle trusted for the https listener.")
    verify_certificate: bool = Field(True, description="Check the https listener's certificate.")
    operation_timeout: Duration = Field(20.0, ge=1, description="One WS-Management operation's limit.")
    read_timeout: Duration = Field(30.0, ge=2, description="Connect and HTTP answer limit.")
    command_timeout: Duration = Field(120.0, gt=0, description="The whole script's limit.")

    @model_validator(mode="after")
    def _consistent(self) -> WinrmOptions:
        if self.read_timeout <= self.operation_timeout:
            raise ValueError("read_timeout must be longer than operation_timeout")
        if self.auth == "basic" and not self.https:
            raise ValueError('auth = "basic" sends the password readable: use it with https = true')
        return self

    def deadline(self, interval: float, default: float) -> float:
        """The script may take ``command_timeout`` (bounded by the interval)."""
        return min(interval, max(default, self.command_timeout + self.read_timeout))

    def endpoint(self, address: str, port: int | None) -> str:
        """The listener's URL (IPv6 addresses in brackets)."""
        host = f"[{address}]" if ":" in address else address
        scheme, default = ("https", 5986) if self.https else ("http", 5985)
        return f"{scheme}://{host}:{self.port or port or default}/wsman"
