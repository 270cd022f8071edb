"""``roomwatch install-systemd``: install roomwatch where the hardened units can run it, the
units and a minimal config; print what to enable."""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE

# What the units hide from the service: ProtectHome= (/root, /home, /run/user) and PrivateTmp=.
# A roomwatch (or the Python it runs on) below one of them starts and dies at once.
HIDDEN = (Path("/root"), Path("/home"), Path("/run/user"), Path("/tmp"), Path("/var/tmp"))
PREFIX = Path("/opt/roomwatch")


@dataclass(frozen=True, kw_only=True)
class Step:
    """One thing the install does: run a command, write a file (with its mode) or make a dir."""

    verb: str
    path: Path
    text: str | None = None
    mode: int = 0o644
    argv: tuple[str, ...] = ()


def register(sub: Any) -> None:
    """Add the ``install-systemd`` parser."""
    p = sub.add_parser(
        "install-systemd", help="Install roomwatch, its systemd units and a minimal config.",
        description=f"Install roomwatch into a virtualenv under {PREFIX} (which the hardened "
        "units can read: ProtectHome= and PrivateTmp= hide /root, /home and /tmp), "
        "roomwatch.service and the inspection/report timers, a minimal "
        "/etc/roomwatch/roomwatch.toml (never overwriting an existing one) and the credentials "
        "directory. The units use DynamicUser=, so no user account is created.")
    p.add_argument("--dry-run", action="store_true", help="print what would be done and every "
                   "file's content, do nothing")
    p.add_argument("--root", type=Path, default=Path("/"), help="install below this root")
    p.add_argument("--python", default=None, help="Python (3.11+) for the virtualenv "
                   "(default /usr/bin/python3)")
    p.add_argument("--exe", default=None, help="use this installed roomwatch executable instead "
                   "of making a virtualenv; it must be outside /root, /home and /tmp")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check, then install (or with --dry-run print everything)."""
    from monitor.units import render
    from monitor.wiring import local_name
    root: Path = args.root
    steps: list[Step] = []
    if args.exe:
        exe = Path(args.exe)
        on_disk = root / exe.relative_to("/") if exe.is_absolute() else exe
        problems = [] if on_disk.is_file() else [f"{on_disk}: no such file"]
        problems += hidden_parts(exe, interpreter_of(on_disk), root=root)
    else:
        python = Path(args.python or "/usr/bin/python3")
        exe = PREFIX / "bin" / "roomwatch"
        problems = hidden_parts(python, root=Path("/"))
        steps += [Step(verb="run", path=root / PREFIX.relative_to("/"),
                       argv=(str(python), "-m", "venv", str(root / PREFIX.relative_to("/")))),
                  Step(verb="run", path=root / PREFIX.relative_to("/"),
                       argv=(str(root / PREFIX.relative_to("/") / "bin" / "pip"), "install",
                             "--no-warn-script-location", source()))]
    if not exe.is_absolute():
        problems.append(f"roomwatch executable {exe} is not an absolute path; give --exe")
    if problems:
        for problem in problems:
            print(f"install-systemd: {problem}", file=sys.stderr)
        return EXIT_USAGE
    unit_dir = root / "etc/systemd/system"
    etc = root / "etc/roomwatch"
    steps += [Step(verb="write", path=unit_dir / name, text=text) for name, text in render(str(exe)).items()]
    config = etc / "roomwatch.toml"
    if config.exists():
        steps.append(Step(verb="keep", path=config))
    else:
        text = resources.files("monitor").joinpath("installed.toml").read_text(encoding="utf-8")
        steps.append(Step(verb="write", path=config, text=text.replace('"nms-01"', f'"{local_name()}"')))
    steps.append(Step(verb="mkdir", path=etc / "credentials", mode=0o700))
    for step in steps:
        _do(step, dry_run=args.dry_run)
    if config.exists() and not config.stat().st_mode & 0o004:
        print(f"\nwarning: {config} is not readable by the service's dynamic user: move its "
              "secrets to /etc/roomwatch/credentials/, then chmod 0644 it")
    print("\nNext:\n  edit /etc/roomwatch/roomwatch.toml, then `roomwatch config validate`\n"
          "  systemctl daemon-reload\n"
          "  systemctl enable --now roomwatch.service roomwatch-inspect.timer "
          "roomwatch-report.timer")
    return EXIT_OK


def hidden_parts(*paths: Path | None, root: Path) -> list[str]:
    """Why the service could not run these paths (as it sees them, each followed through its
    symlinks below ``root``): a part below a directory the hardened units hide from it."""
    problems = []
    for path in paths:
        if path is None:
            continue
        real = _seen(path, root)
        hider = next((h for h in HIDDEN if path.is_relative_to(h) or real.is_relative_to(h)), None)
        if hider is not None:
            via = "" if real == path else f" (it is {real})"
            problems.append(f"{path}{via} is below {hider}, which the service cannot see "
                            "(ProtectHome=, PrivateTmp=); install with a Python outside it, "
                            "e.g. --python /usr/bin/python3")
    return problems


def _seen(path: Path, root: Path) -> Path:
    # Where ``path`` really is, as a path the service would see (the install root stripped).
    real = (root / path.relative_to("/")).resolve() if path.is_absolute() else path.resolve()
    resolved_root = root.resolve()
    return Path("/") / real.relative_to(resolved_root) if real.is_relative_to(resolved_root) else real


def interpreter_of(exe: Path) -> Path | None:
    """The Python a console script runs on (its ``#!`` line), if it names one."""
    try:
        with exe.open("rb") as fh:
            first = fh.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = first[2:].decode(errors="replace").split()
    return Path(parts[0]) if parts else None


def source() -> str:
    """What pip installs: this source tree when running from one, else this release."""
    import monitor
    tree = Path(monitor.__file__).resolve().parents[1]
    if (tree / "pyproject.toml").is_file():
        return str(tree)
    from importlib.metadata import version

    return f"roomwatch=={version('roomwatch')}"


def _do(step: Step, *, dry_run: bool) -> None:
    if step.verb == "run":
        print(f"{'would run' if dry_run else 'run'}: {' '.join(step.argv)}")
        if not dry_run:
            subprocess.run(step.argv, check=True)
        return
    print(f"{'would ' if dry_run else ''}{step.verb} {step.path}"
          + (f" (mode {step.mode:04o})" if step.verb != "keep" else ""))
    if dry_run:
        if step.text is not None:
            print(step.text.rstrip("\n"))
            print(f"--- end of {step.path.name}")
        return
    if step.verb == "write" and step.text is not None:
        step.path.parent.mkdir(parents=True, exist_ok=True)
        step.path.write_text(step.text, encoding="utf-8")
        step.path.chmod(step.mode)
    elif step.verb == "mkdir":
        step.path.mkdir(parents=True, exist_ok=True)
        step.path.chmod(step.mode)

