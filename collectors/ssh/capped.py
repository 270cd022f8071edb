"""A cap on what one SSH command may print: netmiko keeps reading until the prompt, however much."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from monitor.core.errors import CollectError


class AnswerTooLarge(CollectError):
    """A command printed more than the cap; the session is dropped."""


@contextlib.contextmanager
def capped_reads(conn: Any, limit: int, what: str) -> Iterator[None]:
    """Inside, ``conn.read_channel`` raises AnswerTooLarge once more than ``limit`` characters
    were read (netmiko reads through this one method, and accumulates all of it)."""
    read = conn.read_channel
    seen = 0

    def capped() -> str:
        nonlocal seen
        data: str = read()
        seen += len(data)
        if seen > limit:
            # Close the transport now: netmiko's polite logout would wait for a prompt that
            # never comes through the flood (its read timeout, a minute).
            with contextlib.suppress(Exception):
                conn.paramiko_cleanup()
            raise AnswerTooLarge(f"{what} printed more than {limit // (1024 * 1024)} MiB; "
                                 "stopped reading and dropped the session")
        return data

    conn.read_channel = capped
    try:
        yield
    finally:
        conn.read_channel = read
