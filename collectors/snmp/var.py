"""One SNMP varbind as the BER codec gives it (values printed as net-snmp prints them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)  # not frozen: a frozen dataclass is three times slower to build, per varbind
class Var:
    """One varbind: numeric OID (no leading dot), net-snmp type name, value. Read-only by convention."""

    oid: str
    type: str
    value: str | bytes

    def number(self) -> float | None:
        """The value as a number, or None when it is not one."""
        if isinstance(self.value, bytes):
            return None
        try:
            return float(self.value.strip().split()[0])
        except (ValueError, IndexError):
            return None

    def text(self) -> str:
        """The value as text (OCTET STRING with undecodable bytes replaced)."""
        if isinstance(self.value, bytes):
            return self.value.decode("utf-8", errors="replace")
        return self.value.strip().strip('"')

    def raw(self) -> bytes:
        """The value as bytes (MAC addresses and other binary strings)."""
        if isinstance(self.value, bytes):
            return self.value
        return self.value.encode("latin-1", errors="replace")
