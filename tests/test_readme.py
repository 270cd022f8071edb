"""The README's examples run: every TOML block is a config that ``config.examine`` accepts, and
every shell line runs here when it is safe to, or at least parses as the CLI's own syntax.

It reads whatever examples the README holds (sections added later are covered as they come)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import config
from monitor.cli import parser

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
SECRET = re.compile(r"\"(env|file):([A-Za-z0-9_./-]+)\"")
# Shell lines that cannot run inside a test, and why. Every other line runs, or (roomwatch
# commands that change the system or wait for devices) is parsed by roomwatch's own parser.
NOT_HERE = {
    "scripts/run": "starts the daemon (runs until stopped); the demo has its own test",
    "scripts/test": "runs this very suite",
    "systemctl": "needs systemd as PID 1",
    "pip install": "installs from the network",
}
# roomwatch commands that are safe to run as written (read-only, nothing outside a temp dir).
SAFE = ("--help", "config sample", "install-systemd --dry-run")


def blocks(lang: tuple[str, ...]) -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(2)) for m in BLOCK.finditer(text)
            if m.group(1) in lang]


def shell_lines() -> list[tuple[int, str]]:
    out = []
    for line_no, body in blocks(("sh", "bash", "shell", "console")):
        for i, line in enumerate(body.splitlines()):
            command = line.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                out.append((line_no + 1 + i, command))
    return out


def ids(value: object) -> str:
    return f"line{value}" if isinstance(value, int) else ""


@pytest.mark.parametrize(("line", "body"), blocks(("toml",)), ids=ids)
def test_toml_example_is_a_valid_config(line: int, body: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    creds = tmp_path / "credentials"
    creds.mkdir()
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    for kind, name in SECRET.findall(body):  # the example's secrets exist, with made-up values
        if kind == "env":
            monkeypatch.setenv(name, "example-secret-value")
        elif not name.startswith("/"):
            (creds / name).write_text("example-secret-value\n", encoding="utf-8")
    body = re.sub(r'^state_dir = .*$', f'state_dir = "{tmp_path}/state"', body, flags=re.M)
    if not re.search(r"^state_dir", body, re.M):
        body = f'state_dir = "{tmp_path}/state"\n' + body
    path = tmp_path / "example.toml"
    path.write_text(body, encoding="utf-8")
    settings, _, problems = config.examine(path)
    assert problems == [] and settings is not None, f"README.md:{line}: {problems}"


@pytest.mark.parametrize(("line", "command"), shell_lines(), ids=ids)
def test_shell_example_runs_or_parses(line: int, command: str, tmp_path: Path) -> None:
    for prefix, reason in NOT_HERE.items():
        if command.startswith(prefix):
            if prefix.startswith("scripts/"):
                assert (ROOT / prefix).is_file(), f"README.md:{line}: {prefix} does not exist"
            pytest.skip(f"README.md:{line}: not run here: {reason}")
    argv = shlex.split(command)
    assert argv and Path(argv[0]).name == "roomwatch", f"README.md:{line}: unknown command {command!r}"
    args = argv[1:]
    if any(" ".join(args).startswith(safe) for safe in SAFE):
        if "install-systemd" in args:
            args += ["--root", str(tmp_path)]
        done = subprocess.run([sys.executable, "-m", "monitor.cli", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"README.md:{line}: {done.stderr[-2000:]}"
        return
    try:
        parser().parse_args(args)  # the documented syntax is the CLI's
    except SystemExit as exit_:
        pytest.fail(f"README.md:{line}: {command!r} does not parse (exit {exit_.code})")
