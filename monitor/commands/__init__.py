"""Sub-commands of ``roomwatch``: one module each, listed here (no scanning, no side effects)."""

# Each module has register(subparsers) adding its parser(s) with set_defaults(handler=…).
# A new command is a new module plus one line here.
COMMANDS: tuple[str, ...] = (
    "monitor.commands.run",
    "monitor.commands.check",
    "monitor.commands.config",
    "monitor.commands.silence",
    "monitor.commands.ack",
    "monitor.commands.test_notify",
    "monitor.commands.ssh",
    "monitor.commands.snmp",
    "monitor.commands.config_history",
    "monitor.commands.install",
    "monitor.commands.bindings",
    "monitor.commands.inspect",
    "monitor.commands.report",
    "monitor.commands.server",
    "monitor.commands.backup",
    "monitor.commands.logs",
    "monitor.commands.demo",
    "monitor.commands.rules",
    "monitor.commands.user",
)
