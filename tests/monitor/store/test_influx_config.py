"""[store.influxdb]: off by default, clear errors naming the field, the token never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import config, wiring
from monitor.core.errors import ConfigError


def load(tmp_path: Path, body: str) -> config.Settings:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\n' + body)
    return config.load(path)[0]


def test_off_unless_a_url_is_given(tmp_path: Path) -> None:
    settings = load(tmp_path, "")
    assert settings.store.influxdb.url == "" and wiring.build_outputs(settings, tmp_path) == []


def test_every_mistake_is_named_and_the_token_never_shown(tmp_path: Path) -> None:
    body = ('[store.influxdb]\nurl = "influx.example:8086"\ntoken = "tok-3f9a1c"\nprecision = "h"\n'
            'batch_size = 0\nflush_interval = "soon"\n')
    with pytest.raises(ConfigError) as err:
        load(tmp_path, body)
    text = str(err.value)
    for field in ("store.influxdb.url: must be an http:// or https:// URL", "store.influxdb.precision",
                  "store.influxdb.batch_size", "store.influxdb.flush_interval"):
        assert f"roomwatch.toml: {field}" in text, text
    assert "tok-3f9a1c" not in text


def test_a_queue_smaller_than_a_batch_is_refused(tmp_path: Path) -> None:
    body = '[store.influxdb]\nurl = "http://127.0.0.1:8086"\nqueue_size = 1000\nbatch_size = 5000\n'
    with pytest.raises(ConfigError, match=r"influxdb: queue_size \(1000\) must hold at least one batch"):
        load(tmp_path, body)


def test_the_token_is_redacted_from_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFLUX_TOKEN", "tok-from-env-77")
    settings = load(tmp_path, '[store.influxdb]\nurl = "http://127.0.0.1:8086"\ntoken = "env:INFLUX_TOKEN"\n')
    assert "tok-from-env-77" in wiring.secrets_of(settings)
    assert "tok-from-env-77" not in repr(settings)
