"""Names people give things in the config (devices, links): labels and command-line words."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def plain_name(value: str) -> str:
    """``value`` when it has no white space (it becomes a label and a command-line word)."""
    if any(ch.isspace() for ch in value):
        raise ValueError(f"{value!r} contains white space; use - or _")
    return value


PlainName = Annotated[str, AfterValidator(plain_name)]
"""A config name: one word, no white space."""
