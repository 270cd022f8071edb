"""Helpers every sub-command shares: the --config option, loading, exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.core.paths import DEFAULT_CONFIG

if TYPE_CHECKING:
    from monitor import config as config_mod

# The exit codes every command keeps (README "Exit codes"): 3 means refused — nothing was done
# or recorded because a device could not be read or a host key was not confirmed.
EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """The ``--config`` option every command that reads the config takes."""
    parser.add_argument("--config", "-c", type=Path, default=None,
                        help=f"config file (default {DEFAULT_CONFIG} if it exists)")


def load(path: Path | None) -> tuple[config_mod.Settings, str]:
    """Settings and the name used to locate problems (file name, or 'defaults')."""
    from monitor import config as config_mod

    settings, chosen = config_mod.load(path)
    return settings, chosen.name if chosen else "defaults"


def looked_in(path: Path | None, settings: config_mod.Settings) -> str:
    """``config FILE, state directory DIR``: where a command looked, for its "nothing matches"
    answers (a wrong --config or state directory is the usual reason)."""
    from monitor import config as config_mod

    chosen = path or (config_mod.DEFAULT_PATH if config_mod.DEFAULT_PATH.exists() else None)
    state, _why = config_mod.state_dir(settings)
    return f"config {chosen or 'none (defaults)'}, state directory {state}"


def command_group(sub: Any, name: str, *, help: str, description: str | None = None) -> Any:
    """A command with sub-commands (``roomwatch NAME ACTION``); bare ``NAME`` prints its help
    and exits 2. Returns the sub-parsers object to add the actions to."""
    top = sub.add_parser(name, help=help, description=description or help)
    top.set_defaults(handler=lambda _args: (top.print_help(), EXIT_USAGE)[1])
    return top.add_subparsers(title=f"{name} commands", metavar="COMMAND")
