"""Reading a shared store over HTTP for a report source: one form POST with its credentials,
errors that name the server (never a credential), and the refused writing half of Store."""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

from monitor.core.errors import StoreError
from monitor.core.model import Alert, Reading
from monitor.store.settings import InfluxSettings, public_url


class Reader:
    """Posts forms to ``[store.influxdb] url``: a token ``user:password`` goes as Basic
    authentication (InfluxDB 1.x, VictoriaMetrics' -httpAuth), any other as ``scheme token``."""

    def __init__(self, settings: InfluxSettings, *, name: str, scheme: str) -> None:
        self.name = name
        self.where = public_url(settings.url)
        self.timeout = settings.timeout
        self._base = settings.url.rstrip("/")
        self._headers = {"Accept-Encoding": "identity"}
        token = settings.token.get_secret_value() if settings.token else ""
        if token:
            self._headers["Authorization"] = (
                "Basic " + base64.b64encode(token.encode()).decode() if ":" in token else f"{scheme} {token}")

    def post(self, path: str, form: dict[str, str]) -> bytes:
        """The body of a successful answer; StoreError (retryable for 5xx and network) otherwise."""
        req = urllib.request.Request(self._base + path, data=urllib.parse.urlencode(form).encode(),
                                     headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                data: bytes = resp.read()
                return data
        except urllib.error.HTTPError as err:
            detail = err.read(300).decode("utf-8", "replace").strip()
            raise StoreError(f"{self.name} {self.where}{path}: HTTP {err.code}: {detail}",
                             retryable=err.code >= 500) from None
        except OSError as err:
            raise StoreError(f"{self.name} {self.where}{path}: {err}", retryable=True) from None

    def refuse(self) -> None:
        """Raise: a report source never writes."""
        raise StoreError(f"{self.name} {self.where}: a report source is read-only", retryable=False)


class ReadOnly:
    """The writing half of the Store protocol for a report source: daemons write to the shared
    store through their InfluxDB output, never through a source."""

    http: Reader

    def write(self, readings: Sequence[Reading]) -> None:
        """Refused."""
        self.http.refuse()

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Refused, as ``write``."""
        self.http.refuse()

    def flush(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        """Nothing is held open (one HTTP request per call)."""
