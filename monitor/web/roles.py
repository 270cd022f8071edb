"""Account roles and names, apart from the account store so the ``user`` command can offer them
without loading argon2."""

from __future__ import annotations

import enum

NAME_PATTERN = r"[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}"
"""Account names: letters, digits, ``_ . -`` and Chinese characters (people sign with them)."""


class Role(enum.Enum):
    """What an account may do: look (viewer), act on alerts and records (operator), and change
    the registry and accounts (admin). Each role can do everything the ones before it can."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        order = list(Role)
        return order.index(self) >= order.index(needed)
