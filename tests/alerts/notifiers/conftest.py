"""Fixtures: the fake Aliyun and Tencent SMS servers, credentials in the environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.notifiers.providers import (
    ALIYUN_ID,
    ALIYUN_SECRET,
    TENCENT_ID,
    TENCENT_KEY,
    Provider,
    provider,
)


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The providers' credentials as env: secrets, the way a site configures them."""
    for name, value in [("ALIYUN_AK_ID", ALIYUN_ID), ("ALIYUN_AK_SECRET", ALIYUN_SECRET),
                        ("TENCENT_SECRET_ID", TENCENT_ID), ("TENCENT_SECRET_KEY", TENCENT_KEY)]:
        monkeypatch.setenv(name, value)


@pytest.fixture
def aliyun(creds: None) -> Iterator[Provider]:
    """A fake Aliyun dysmsapi on loopback."""
    with provider("aliyun") as server:
        yield server


@pytest.fixture
def tencent(creds: None) -> Iterator[Provider]:
    """A fake Tencent Cloud SMS API on loopback."""
    with provider("tencent") as server:
        yield server
