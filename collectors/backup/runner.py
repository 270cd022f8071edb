"""Run a backup tool on this host or on a device over SSH, the password never on a command line.

On this host the password goes into the child's environment (``RESTIC_PASSWORD`` /
``BORG_PASSPHRASE``). Over SSH a server rarely accepts environment variables, so it goes on
stdin instead: restic reads its password from stdin when stdin is not a terminal, borg reads it
from the descriptor ``BORG_PASSPHRASE_FD`` names. Either way the same program prints the same
words, so one parser reads both. Blocking: callers run it in a worker thread.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from collectors.ssh.command import Completed
from monitor.core.errors import CollectError

if TYPE_CHECKING:
    from collectors.ssh.session import Target

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Secret:
    """A password and how the tool takes it: ``env`` locally, ``stdin_env`` marks stdin remotely."""

    value: str
    env: str
    stdin_env: Mapping[str, str] = field(default_factory=dict)


class Runner(Protocol):
    """Runs one program; ``where`` says on which host, for messages."""

    @property
    def where(self) -> str:
        """The host, for messages."""

    def run(self, argv: list[str], *, secret: Secret | None = None, timeout: float,
            env: Mapping[str, str] | None = None, cwd: str | None = None) -> Completed:
        """Exit status and outputs; CollectError when it cannot be started or hangs."""


@dataclass(kw_only=True)
class LocalRunner:
    """This host."""

    where: str = "this host"
    environment: Mapping[str, str] = field(default_factory=dict)

    def run(self, argv: list[str], *, secret: Secret | None = None, timeout: float,
            env: Mapping[str, str] | None = None, cwd: str | None = None) -> Completed:
        """Run ``argv`` with the password in the environment."""
        child = {**os.environ, **self.environment, **(env or {})}
        if secret is not None:
            child[secret.env] = secret.value
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout, env=child,
                                  stdin=subprocess.DEVNULL, check=False, cwd=cwd)
        except FileNotFoundError as err:
            missing = argv[0] if err.filename in (argv[0], None) else err.filename
            raise CollectError(f"{missing} is not installed (or no such directory) on {self.where}") from None
        except subprocess.TimeoutExpired:
            raise CollectError(f"{argv[0]} did not finish within {timeout:g}s on {self.where}") from None
        except OSError as err:
            raise CollectError(f"cannot start {argv[0]} on {self.where}: {err.strerror}") from None
        return Completed(status=done.returncode, stdout=done.stdout.decode("utf-8", errors="replace"),
                         stderr=done.stderr.decode("utf-8", errors="replace"))


@dataclass(kw_only=True)
class SshRunner:
    """A device over SSH (its ``ssh`` table: address, user, key or password, known host key)."""

    target: Target
    environment: Mapping[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The device name."""
        return self.target.device

    def run(self, argv: list[str], *, secret: Secret | None = None, timeout: float,
            env: Mapping[str, str] | None = None, cwd: str | None = None) -> Completed:
        """Run ``argv`` in the login shell with the password on stdin."""
        variables = {**self.environment, **(env or {}), **(secret.stdin_env if secret else {})}
        prefix = ["env", *(f"{k}={v}" for k, v in variables.items())] if variables else []
        line = shlex.join(prefix + argv)
        if cwd is not None:
            line = f"cd {shlex.quote(cwd)} && {line}"
        stdin = secret.value + "\n" if secret is not None else ""
        from collectors.ssh import command as ssh_command

        done = ssh_command.run(self.target, line, stdin=stdin, timeout=timeout)
        if done.status == 127:
            raise CollectError(f"{argv[0]} is not installed on {self.where} (or not on its PATH)")
        return done


def scrub(text: str, secret: Secret | None) -> str:
    """``text`` with the password replaced, in case a tool ever echoes it."""
    if secret is None or not secret.value:
        return text
    return text.replace(secret.value, "***")


def last_line(text: str, secret: Secret | None, limit: int = 300) -> str:
    """The last non-empty line of a tool's error output, scrubbed, for a message."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return scrub(lines[-1], secret)[:limit] if lines else ""
