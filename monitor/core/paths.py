"""Well-known paths: the default config file (named by the CLI's help without loading the config)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_CONFIG = Path("/etc/roomwatch/roomwatch.toml")
