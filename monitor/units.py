"""The systemd units, rendered for a given roomwatch executable (one source for systemd/ and
``roomwatch install-systemd``)."""

from __future__ import annotations

# One hardening block for the daemon and both oneshots. `systemd-analyze security` scores the
# daemon 1.8 ("OK"); what is left open is the network (it is a network monitor) and the two
# capabilities ARP sniffing, raw ICMP and the trap port need.
_HARDENING = """\
User=roomwatch
DynamicUser=yes
StateDirectory=roomwatch
StateDirectoryMode=0700
ConfigurationDirectory=roomwatch
Environment=ROOMWATCH_STATE_DIR=/var/lib/roomwatch PYTHONUNBUFFERED=1
# Secrets: put one file per secret in /etc/roomwatch/credentials/ (mode 0600, root) and write
# them in the config as file:roomwatch_NAME (resolved against $CREDENTIALS_DIRECTORY).
LoadCredential=roomwatch:/etc/roomwatch/credentials
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallArchitectures=native
SystemCallErrorNumber=EPERM
# State holds alert bodies and masked config diffs: the service's files are its own only.
UMask=0077
DevicePolicy=closed
KeyringMode=private
"""

_SERVICE = """\
[Unit]
Description=roomwatch machine-room and network monitor
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={exe} run --config /etc/roomwatch/roomwatch.toml
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5s
WatchdogSec=60s
TimeoutStartSec=120s
TimeoutStopSec=30s
MemoryMax=1G
AmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_RAW CAP_NET_BIND_SERVICE
{hardening}
[Install]
WantedBy=multi-user.target
"""

_ONESHOT = """\
[Unit]
Description={description}
After=network-online.target

[Service]
Type=oneshot
ExecStart={exe} {command} --config /etc/roomwatch/roomwatch.toml
TimeoutStartSec=15min
CapabilityBoundingSet=
{hardening}"""

_TIMER = """\
[Unit]
Description={description}

[Timer]
OnCalendar={calendar}
Persistent=true
RandomizedDelaySec=2min

[Install]
WantedBy=timers.target
"""

DEFAULT_EXE = "/usr/local/bin/roomwatch"


def render(exe: str = DEFAULT_EXE) -> dict[str, str]:
    """Unit file name -> text, for the roomwatch executable at ``exe``."""
    return {
        "roomwatch.service": _SERVICE.format(exe=exe, hardening=_HARDENING),
        "roomwatch-inspect.service": _ONESHOT.format(
            exe=exe, command="inspect", hardening=_HARDENING,
            description="roomwatch daily inspection record (日巡检记录)"),
        "roomwatch-inspect.timer": _TIMER.format(
            description="Daily roomwatch inspection at 08:30", calendar="*-*-* 08:30:00"),
        "roomwatch-report.service": _ONESHOT.format(
            exe=exe, command="report --week last", hardening=_HARDENING,
            description="roomwatch weekly inspection report (周巡检报告)"),
        "roomwatch-report.timer": _TIMER.format(
            description="Weekly roomwatch report, Monday 09:00", calendar="Mon *-*-* 09:00:00"),
    }
