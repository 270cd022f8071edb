"""``roomwatch user add|token|list``: accounts of the web console and API (STATE_DIR/web.db)."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import time
from typing import TYPE_CHECKING, Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE, add_config_option, command_group, load
from monitor.web.roles import NAME_PATTERN, Role

if TYPE_CHECKING:
    from monitor.web.accounts import Accounts

MIN_PASSWORD = 10
"""Shortest password accepted (the console faces people who guess)."""


def register(sub: Any) -> None:
    """Add ``user`` with ``add``, ``token`` and ``list``."""
    inner = command_group(sub, "user", help="Accounts of the web console and HTTP API.",
                          description="Local accounts: viewer (look), operator (ack, silence, sign the "
                          "record), admin (registry, accounts). Passwords are kept as argon2id hashes.")
    add = inner.add_parser("add", help="Create an account or reset its password and role.",
                           description="Create an account (or replace one: new password and role, "
                           "its API token stops working). Asks for the password twice unless "
                           "--password-stdin reads one line from standard input.")
    add.add_argument("name", help="account name (letters, digits, _ . - or Chinese characters)")
    add.add_argument("--role", choices=[r.value for r in Role], required=True, help="what it may do")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add_config_option(add)
    add.set_defaults(handler=run_add)
    tok = inner.add_parser("token", help="Issue an API token (printed once; the old one stops working).",
                           description="Print a new bearer token for the API (Authorization: Bearer …). "
                           "Only its hash is kept: it cannot be shown again.")
    tok.add_argument("name", help="account name")
    add_config_option(tok)
    tok.set_defaults(handler=run_token)
    ls = inner.add_parser("list", help="List accounts and roles.")
    add_config_option(ls)
    ls.set_defaults(handler=run_list)


def _accounts(args: argparse.Namespace) -> Accounts:
    from monitor import config as config_mod
    from monitor.web.accounts import Accounts
    settings, _ = load(args.config)
    state, _why = config_mod.state_dir(settings)
    return Accounts(state / "web.db")


def run_add(args: argparse.Namespace) -> int:
    """Create or replace an account."""
    if not re.fullmatch(NAME_PATTERN, args.name):
        print(f"user add: {args.name!r} is not a valid name (letters, digits, _ . - or Chinese, "
              "at most 64)", file=sys.stderr)
        return EXIT_USAGE
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("user add: the passwords differ; nothing changed", file=sys.stderr)
            return EXIT_USAGE
    if len(password) < MIN_PASSWORD:
        print(f"user add: a password needs at least {MIN_PASSWORD} characters; nothing changed",
              file=sys.stderr)
        return EXIT_USAGE
    accounts = _accounts(args)
    try:
        accounts.add(args.name, Role(args.role), password, now=time.time(), by=f"cli:{getpass.getuser()}")
    finally:
        accounts.close()
    print(f"user {args.name} ({args.role}) saved")
    return EXIT_OK


def run_token(args: argparse.Namespace) -> int:
    """Print a fresh API token."""
    accounts = _accounts(args)
    try:
        token = accounts.new_token(args.name, now=time.time(), by=f"cli:{getpass.getuser()}")
    except KeyError:
        print(f"user token: no account {args.name!r} (roomwatch user add {args.name} --role …)",
              file=sys.stderr)
        return EXIT_USAGE
    finally:
        accounts.close()
    print(token)
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    """Print accounts, one a line."""
    accounts = _accounts(args)
    try:
        users = accounts.users()
    finally:
        accounts.close()
    for user in users:
        print(f"{user.name}\t{user.role.value}")
    if not users:
        print("no accounts (roomwatch user add NAME --role admin)")
    return EXIT_OK
