"""Shared fixtures: a local HTTP receiver that records what notifiers post."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.procs import serving


@pytest.fixture(autouse=True)
def _keep_umask() -> Iterator[None]:
    """``roomwatch``'s CLI sets umask 077 for its state files; tests call it in-process, so put
    the runner's umask back after each test (a later test building a .deb or an sshd config
    needs ordinary permissions)."""
    mask = os.umask(0o022)
    os.umask(mask)
    yield
    os.umask(mask)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records requests; ``status`` sets its answer."""

    port: int
    requests: list[dict] = field(default_factory=list)
    gets: list[str] = field(default_factory=list)
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def bodies(self) -> list[dict]:
        with self.lock:
            return [r["json"] for r in self.requests if r["status"] < 300 and r["json"] is not None]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = None
            with state.lock:
                status = state.status
                state.requests.append({"path": self.path, "json": doc, "raw": raw,
                                       "headers": dict(self.headers), "status": status})
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"{}")

        def do_GET(self) -> None:
            with state.lock:
                state.gets.append(self.path)
                status = state.status
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    with serving(server):
        yield state
