"""``roomwatch config validate|sample``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE, command_group
from monitor.core.paths import DEFAULT_CONFIG


def register(sub: Any) -> None:
    """Add ``config`` with its ``validate`` and ``sample`` sub-commands."""
    inner = command_group(sub, "config", help="Check or print configuration.",
                         description="Check or print configuration.")
    validate = inner.add_parser("validate", help="Report every problem in a config file.",
                                description="Report every problem in a config file, with where "
                                "it is; exit 2 if there is any.")
    validate.add_argument("file", type=Path, nargs="?", default=None,
                          help=f"config file (default {DEFAULT_CONFIG})")
    validate.set_defaults(handler=run_validate)
    sample = inner.add_parser("sample", help="Print an annotated sample config.",
                              description="Print an annotated sample config with every option.")
    sample.set_defaults(handler=run_sample)


def run_validate(args: argparse.Namespace) -> int:
    """Load the file and build its rules, notifiers and templates; print every problem."""
    from alerts.render import check_templates
    from monitor import config as config_mod
    from monitor import wiring
    from monitor.core.errors import ConfigError
    path = args.file or config_mod.DEFAULT_PATH
    try:
        settings, _, problems = wiring.examine(path)
    except ConfigError as err:  # unreadable: nothing more can be checked
        settings, problems = None, err.problems
    if settings is not None:
        # A site template that fails would fall back to the built-in one at run time: say so now.
        problems += check_templates(settings.notify.templates_dir)
    if problems or settings is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    print(f"{path}: OK ({len(settings.devices)} device(s))")
    return EXIT_OK


def run_sample(_args: argparse.Namespace) -> int:
    """Print the annotated sample config, put together from every part's own sample."""
    from monitor import sample
    print(sample.render(), end="")
    return EXIT_OK
