"""Real time-series servers for the store tests and benches, on loopback with a temporary directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.procs import free_port, stop


class Server:
    """A server binary started on a free loopback port; ``stop`` then ``start`` keeps its data."""

    binary_name = ""
    ready_path = ""

    def __init__(self, home: Path) -> None:
        binary = shutil.which(self.binary_name)
        if binary is None:
            pytest.skip(f"{self.binary_name} is not installed (scripts/apt.d/influx.txt)")
        self.binary = binary
        self.home = home
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The command line that runs the server on ``self.port`` with its data in ``self.home``."""
        raise NotImplementedError

    def start(self) -> None:
        self._launch(tries=3)

    def _launch(self, tries: int) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                if tries > 1:
                    # Most likely another process took a port between free_port() and the bind
                    # (a full suite starts many servers): again, on ports picked afresh.
                    self.new_ports()
                    self._launch(tries - 1)
                    return
                raise RuntimeError(f"{self.binary_name} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}{self.ready_path}", timeout=1) as resp:
                    if resp.status < 300:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.binary_name} did not answer {self.ready_path} within 30 s")

    def stop(self) -> None:
        stop(self.proc, timeout=20)
        self.proc = None

    def new_ports(self) -> None:
        """Pick the ports it listens on afresh (``url`` follows)."""
        self.port = free_port()


class VictoriaMetrics(Server):
    """Debian's victoria-metrics, which takes the InfluxDB v2 write API."""

    binary_name = "victoria-metrics"
    ready_path = "/health"

    def command(self) -> list[str]:
        # A century of retention: the tests write fixed timestamps from the past too.
        return [self.binary, f"-storageDataPath={self.home}", f"-httpListenAddr=127.0.0.1:{self.port}",
                "-retentionPeriod=100y", "-loggerLevel=ERROR", "-search.disableCache"]

    def export(self) -> list[dict[str, Any]]:
        """Every series it holds (after forcing buffered samples to storage), as exported JSON."""
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/internal/force_flush"), timeout=10).close()
        query = urllib.parse.urlencode({"match[]": '{__name__=~".+"}', "start": "0"}).encode()
        with urllib.request.urlopen(f"{self.url}/api/v1/export", data=query, timeout=30) as resp:
            return [json.loads(line) for line in resp.read().splitlines() if line.strip()]

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...], int], list[float]]:
        """(metric, labels, timestamp ms) -> every value stored there; duplicates show as lists > 1."""
        out: dict[tuple[str, tuple[tuple[str, str], ...], int], list[float]] = {}
        for series in self.export():
            labels = dict(series["metric"])
            name = labels.pop("__name__")
            labels.pop("db", None)  # VictoriaMetrics adds the bucket as `db`
            key = tuple(sorted(labels.items()))
            for ts, value in zip(series["timestamps"], series["values"], strict=True):
                out.setdefault((name, key, int(ts)), []).append(float(value))
        return out


class InfluxDB1(Server):
    """Debian's influxdb 1.6 (InfluxQL; no v2 write API, so lines go to its v1 /write)."""

    binary_name = "influxd"
    ready_path = "/ping"
    database = "roomwatch"

    def command(self) -> list[str]:
        config = self.home / "influxdb.conf"
        config.write_text(
            f'reporting-disabled = true\nbind-address = "127.0.0.1:{free_port()}"\n'
            f'[meta]\n  dir = "{self.home}/meta"\n'
            f'[data]\n  dir = "{self.home}/data"\n  wal-dir = "{self.home}/wal"\n'
            "  query-log-enabled = false\n"
            f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n'
            "[monitor]\n  store-enabled = false\n[continuous_queries]\n  enabled = false\n"
            '[logging]\n  level = "error"\n'
        )
        return [self.binary, "-config", str(config)]

    def start(self) -> None:
        super().start()
        self.query(f'CREATE DATABASE "{self.database}"')

    def write(self, lines: list[str], precision: str = "ms") -> None:
        url = f"{self.url}/write?db={self.database}&precision={precision}"
        req = urllib.request.Request(url, data="\n".join(lines).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 204, resp.status

    def query(self, text: str) -> list[dict[str, Any]]:
        """The statement's results; an InfluxQL error raises with the server's message."""
        body = urllib.parse.urlencode({"q": text, "db": self.database, "epoch": "ms"}).encode()
        with urllib.request.urlopen(f"{self.url}/query", data=body, timeout=30) as resp:
            doc = json.loads(resp.read())
        results: list[dict[str, Any]] = doc.get("results", [])
        for result in results:
            if "error" in result:
                raise AssertionError(f"{result['error']}: {text}")
        return results
