"""The one read-only PowerShell script a Windows server runs per poll (over its OpenSSH or over
WinRM): a block per configured check, optionally the server's own readings, one
``ConvertTo-Json`` object as the answer."""

from __future__ import annotations

import base64
from collections.abc import Iterable

# Each block sets fields of $r; a cmdlet that fails leaves its field $null (SilentlyContinue),
# which the parsers read as "cannot check". Read-only but for secedit, which can only export to
# a file: a temp file removed at once.
BLOCKS: dict[str, str] = {
    "antivirus": r"""$r.Defender = Get-MpComputerStatus |
  Select-Object AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled, AntivirusSignatureAge,
    AntivirusSignatureLastUpdated, FullScanEndTime""",
    # Pending updates from the Windows Update Agent's own cache (Online = $false): the check
    # never makes the server contact Windows Update or WSUS, so the cache is only as fresh as
    # the agent's last successful search (LastUpdateSearch). The searcher refuses callers
    # without administrator rights; its message says so in PendingUpdatesError.
    "patches": r"""$r.HotFix = @(Get-HotFix | Select-Object HotFixID, Description, InstalledOn)
try {
  $r.LastUpdateSearch = (New-Object -ComObject Microsoft.Update.AutoUpdate).Results.LastSearchSuccessDate
  $us = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher(); $us.Online = $false
  $r.PendingUpdates = @($us.Search('IsInstalled=0 and IsHidden=0').Updates | ForEach-Object {
    [ordered]@{ Title = $_.Title; MsrcSeverity = $_.MsrcSeverity; KB = @($_.KBArticleIDs);
      Categories = @($_.Categories | ForEach-Object { $_.CategoryID }) } })
} catch { $r.PendingUpdatesError = $_.Exception.Message }""",
    "removable_media": r"""$svc = 'HKLM:\SYSTEM\CurrentControlSet\Services'
$r.UsbStorStart = (Get-ItemProperty "$svc\USBSTOR" -Name Start).Start
$r.CdromStart = (Get-ItemProperty "$svc\cdrom" -Name Start).Start
$r.Drives = @(Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID, DriveType)""",
    "password_policy": r"""$r.NetAccounts = (net accounts) -join "`n"
$f = Join-Path $env:TEMP ('rw' + [guid]::NewGuid() + '.inf')
secedit /export /cfg $f /areas SECURITYPOLICY | Out-Null
$r.SecEdit = (Get-Content $f) -join "`n"; Remove-Item $f -Force""",
    "egress": r"""$r.Tcp = @(Get-NetTCPConnection |
  Select-Object LocalAddress, LocalPort, RemoteAddress, RemotePort, State)""",
    "logs": r"""$r.LogCleared = @(Get-WinEvent -FilterHashtable @{LogName='Security'; Id=1102} -MaxEvents 10 |
  Select-Object TimeCreated)""",
    "software": r"""$u = 'Microsoft\Windows\CurrentVersion\Uninstall\*'
$r.Software = @(Get-ItemProperty "HKLM:\Software\$u", "HKLM:\Software\WOW6432Node\$u" |
  Where-Object DisplayName | Select-Object DisplayName, DisplayVersion)""",
    "privileged_accounts": r"""$r.Admins = @(Get-LocalGroupMember -SID 'S-1-5-32-544' |
  Select-Object Name, ObjectClass, PrincipalSource)
$r.Users = @(Get-LocalUser | Select-Object Name, Enabled, LastLogon)""",
}

# The server's own readings (CPU, memory, fixed-disk use, uptime) where Windows is read by no
# other transport: CIM classes present since Windows Server 2008 R2.
SERVER = r"""$os = Get-CimInstance Win32_OperatingSystem
$r.Os = $os | Select-Object FreePhysicalMemory, TotalVisibleMemorySize, LastBootUpTime, LocalDateTime, Caption
$r.CpuLoad = @(Get-CimInstance Win32_Processor | ForEach-Object { $_.LoadPercentage })
$r.Volumes = @(Get-CimInstance Win32_LogicalDisk -Filter 'DriveType=3' |
  Select-Object DeviceID, Size, FreeSpace)"""


def script(checks: Iterable[str], *, server: bool) -> str:
    """The PowerShell text for ``checks`` (in this fixed order), plus the server's readings."""
    wanted = set(checks)
    parts = ["$ErrorActionPreference = 'SilentlyContinue'", "$r = [ordered]@{}"]
    parts += [body for check, body in BLOCKS.items() if check in wanted]
    if server:
        parts.append(SERVER)
    parts.append("$r | ConvertTo-Json -Depth 4 -Compress")
    return "\n".join(parts) + "\n"


def command(text: str) -> str:
    """The command line that runs ``text`` under any default shell (cmd or PowerShell)."""
    encoded = base64.b64encode(text.encode("utf-16-le")).decode()
    return f"powershell -NoProfile -NonInteractive -EncodedCommand {encoded}"
