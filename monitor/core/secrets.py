"""Secrets in the config: literal, ``env:NAME`` or ``file:/path`` — resolved once, never printed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, SecretStr


def resolve_secret(value: Any) -> Any:
    """Turn ``env:NAME`` / ``file:PATH`` into the secret's text; leave literals as they are.

    A relative ``file:`` path is looked up in ``$CREDENTIALS_DIRECTORY`` first, which is where
    systemd's ``LoadCredential=`` puts them. Errors name the variable or file, never the value.
    """
    if isinstance(value, SecretStr):
        return value
    if not isinstance(value, str):
        return value
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise ValueError(f"environment variable {name} (from env:{name}) is not set")
        return os.environ[name]
    if value.startswith("file:"):
        path = Path(value[5:])
        creds = os.environ.get("CREDENTIALS_DIRECTORY")
        if not path.is_absolute() and creds:
            path = Path(creds) / path
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise ValueError(f"cannot read secret file {path}: {err.strerror}") from None
        except UnicodeDecodeError:  # the codec's message would quote the secret's bytes
            raise ValueError(f"secret file {path} is not UTF-8 text") from None
    return value


Secret = Annotated[SecretStr, BeforeValidator(resolve_secret)]
"""A config field holding a secret: pydantic keeps it masked in repr, str and errors."""


def secrets_in(value: Any) -> list[str]:
    """Every secret's text inside a config value (models, lists and tables walked), for the log
    redaction filter: one walk serves every options model, so a new Secret field is never missed."""
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, BaseModel):
        return [s for name in type(value).model_fields for s in secrets_in(getattr(value, name))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in secrets_in(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in secrets_in(item)]
    return []
