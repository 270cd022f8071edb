"""The base of every plugin's options model: unknown keys are errors, secrets are found by walking."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from monitor.core.secrets import secrets_in


class PluginOptions(BaseModel):
    """A transport's (or source's) config table. ``needs_address``: the device must give
    ``address`` (checked with the whole inventory, so every device's problem is told at once)."""

    model_config = ConfigDict(extra="forbid")

    needs_address: ClassVar[bool] = False

    def secret_values(self) -> list[str]:
        """Every secret in these options, for the log redaction filter."""
        return secrets_in(self)
