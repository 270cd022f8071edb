"""``roomwatch install-systemd``: install the units and a sample config, print what to enable."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from monitor import sample
from monitor.commands.common import EXIT_OK, EXIT_USAGE
from monitor.units import render


def register(sub: Any) -> None:
    """Add the ``install-systemd`` parser."""
    p = sub.add_parser(
        "install-systemd", help="Install the systemd units and a sample config.",
        description="Install roomwatch.service and the inspection/report timers, a sample "
        "/etc/roomwatch/roomwatch.toml (never overwriting an existing one) and the credentials "
        "directory. The units use DynamicUser=, so no user account is created.")
    p.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    p.add_argument("--root", type=Path, default=Path("/"), help="install below this root")
    p.add_argument("--exe", default=None, help="roomwatch executable the units run "
                   "(default: this one)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the files; with --dry-run only list them."""
    exe = args.exe or shutil.which("roomwatch") or str(Path(sys.argv[0]).resolve())
    if not Path(exe).is_absolute():
        print(f"roomwatch executable {exe!r} is not an absolute path; give --exe", file=sys.stderr)
        return EXIT_USAGE
    root: Path = args.root
    unit_dir = root / "etc/systemd/system"
    etc = root / "etc/roomwatch"
    actions: list[tuple[str, Path, str | None]] = [
        ("write", unit_dir / name, text) for name, text in render(exe).items()
    ]
    config = etc / "roomwatch.toml"
    if config.exists():
        actions.append(("keep", config, None))
    else:
        actions.append(("write", config, sample.render()))
    actions.append(("mkdir", etc / "credentials", None))
    for verb, path, text in actions:
        print(f"{'would ' if args.dry_run else ''}{verb} {path}")
        if args.dry_run:
            continue
        if verb == "write" and text is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            path.chmod(0o644 if path.parent == unit_dir else 0o640)
        elif verb == "mkdir":
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o700)
    print("\nNext:\n  edit /etc/roomwatch/roomwatch.toml, then `roomwatch config validate`\n"
          "  systemctl daemon-reload\n"
          "  systemctl enable --now roomwatch.service roomwatch-inspect.timer "
          "roomwatch-report.timer")
    return EXIT_OK
