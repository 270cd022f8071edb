"""The ``roomwatch`` command; each sub-command lives in ``monitor/commands/``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from monitor.commands import COMMANDS
from monitor.commands.common import EXIT_USAGE
from monitor.core.errors import ConfigError


def parser() -> argparse.ArgumentParser:
    """The full argument parser, built from the command registry."""
    top = argparse.ArgumentParser(
        prog="roomwatch",
        description="Watch the machine room and network; enforce the IT regulations' rules.",
    )
    sub = top.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (0, 1 violations, 2 usage)."""
    # State files hold alert bodies and masked config diffs: private from the first byte (the
    # unit sets UMask=0077 too; this covers a shell, cron or an older unit).
    os.umask(0o077)
    top = parser()
    args = top.parse_args(argv)
    if not hasattr(args, "handler"):
        top.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
        return code
    except ConfigError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
