"""``roomwatch --help`` stays fast: building the parser of every command imports no heavy library
(checked in a fresh interpreter's sys.modules, not by timing); running a command still works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
# Libraries that each cost tens to hundreds of milliseconds to import; a command imports them
# when it runs, never when its parser is registered.
HEAVY = ("paramiko", "httpx", "pysnmp", "ezsnmp", "jinja2", "matplotlib", "weasyprint", "netmiko",
         "scapy", "apprise", "pymodbus", "pydantic", "pydantic_settings", "psutil", "influxdb_client",
         "icmplib", "textfsm", "ntc_templates", "sqlite3", "asyncio")
PROBE = """
import contextlib, io, json, sys
from monitor import cli
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
    cli.main(["--help"])
names = sorted(cli.parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
print(json.dumps({"loaded": sorted(m.split(".")[0] for m in sys.modules), "help": out.getvalue(),
                  "names": names}))
"""


def test_help_imports_no_heavy_library() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert sorted(set(HEAVY) & set(doc["loaded"])) == []
    # …and the help still lists every command.
    assert {"run", "check", "demo", "report", "inspect"} <= set(doc["names"])
    assert all(name in doc["help"] for name in doc["names"])
