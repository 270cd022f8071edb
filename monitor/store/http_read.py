"""One form POST to a shared store's read API, with its credentials, and errors that name the
server (credentials and query strings left out)."""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request

from monitor.core.errors import StoreError
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
