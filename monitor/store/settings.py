"""The ``[store]`` section (the SQLite store of record, the optional InfluxDB output) and the
``[alertmanager]`` output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.core.durations import Duration
from monitor.core.secrets import Secret


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SQLiteSettings(_Section):
    """The embedded store."""

    path: Path | None = Field(None, description="Database file; default STATE_DIR/roomwatch.db.")
    retention: Duration = Field(30 * 86400.0, description="How long raw readings are kept.", gt=0)
    rollup_retention: Duration = Field(400 * 86400.0, description="How long hourly rollups are kept.", gt=0)
    flush_interval: Duration = Field(5.0, description="How often buffered readings are committed.", gt=0)


class InfluxSettings(_Section):
    """An InfluxDB (or any v2-write-API server) that gets every reading besides SQLite."""

    url: str = Field("", description="Server URL, e.g. http://127.0.0.1:8086; empty: off.")
    org: str = Field("", description="Organisation (InfluxDB 2.x/3.x); empty for 1.x and VictoriaMetrics.")
    bucket: str = Field("roomwatch", min_length=1, description="Bucket; on 1.x \"database/retention\".")
    token: Secret | None = Field(None, description="API token (1.x: \"user:password\"); env:/file: ok.")
    precision: Literal["s", "ms", "us", "ns"] = Field("ms", description="Timestamp precision.")
    batch_size: int = Field(5000, ge=1, le=1_000_000, description="Points per write request.")
    flush_interval: Duration = Field(1.0, gt=0, description="Longest a point waits in memory before sending.")
    timeout: Duration = Field(10.0, description="Time one write request may take.", gt=0)
    queue_size: int = Field(
        5_000_000, ge=1000,
        description="Points kept on disk while the server is down; beyond: oldest dropped, counted, logged."
    )
    verify_tls: bool = Field(True, description="Check the server's TLS certificate.")
    gzip: bool = Field(False, description="Compress request bodies: for a slow link; on a LAN it "
                       "costs more CPU than it saves (the disk queue is compressed either way).")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("must be an http:// or https:// URL such as http://127.0.0.1:8086")
        return value

    @model_validator(mode="after")
    def _queue_holds_a_batch(self) -> InfluxSettings:
        if self.queue_size < self.batch_size:
            raise ValueError(f"queue_size ({self.queue_size}) must hold at least one batch "
                             f"({self.batch_size})")
        return self


class StoreSettings(_Section):
    """Where readings go."""

    sqlite: SQLiteSettings = Field(default_factory=SQLiteSettings, description="Embedded store.")
    influxdb: InfluxSettings = Field(default_factory=InfluxSettings, description="Optional InfluxDB output.")


# -- scale: the Alertmanager output (issue 23) --


class AlertmanagerSettings(_Section):
    """Prometheus Alertmanagers that get every firing and resolved alert (besides [notify])."""

    urls: list[str] = Field(default_factory=list, description="Alertmanager base URLs, e.g. "
                            "http://127.0.0.1:9093; every one gets every alert; empty: off.")
    resend_interval: Duration = Field(60.0, gt=0, description="How often firing alerts are sent "
                                      "again (Prometheus: 1m); endsAt is 4 of these ahead.")
    drop_labels: list[str] = Field(default_factory=lambda: ["poller"], description="Labels left out "
                                   "so that the daemons of a pair send the same alert.")
    timeout: Duration = Field(10.0, gt=0, description="Time one request may take.")
    queue_size: int = Field(100_000, ge=100, description="Alert transitions kept on disk per "
                            "Alertmanager while it is down; beyond: oldest dropped, counted, logged.")
    verify_tls: bool = Field(True, description="Check the server's TLS certificate.")

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
                raise ValueError(f"{public_url(url)!r} must be an http:// or https:// URL such as "
                                 "http://127.0.0.1:9093")
        return value


def public_url(url: str) -> str:
    """The URL without user and password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
