"""Helpers every sub-command shares: the --config option, loading, exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor import config as config_mod

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """The ``--config`` option every command that reads the config takes."""
    parser.add_argument("--config", "-c", type=Path, default=None,
                        help=f"config file (default {config_mod.DEFAULT_PATH} if it exists)")


def load(path: Path | None) -> tuple[config_mod.Settings, str]:
    """Settings and the name used to locate problems (file name, or 'defaults')."""
    settings, chosen = config_mod.load(path)
    return settings, chosen.name if chosen else "defaults"
