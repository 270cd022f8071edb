"""A notification sink on loopback: takes what apprise's ``json://`` posts and prints each message
as an on-call phone would show it (the receiver told, the title, the text)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True, kw_only=True)
class Message:
    """One notification as delivered: the receiver (the URL path), its title and body."""

    receiver: str
    title: str
    body: str
    at: float


@dataclass(kw_only=True)
class Sink:
    """Where the demo's receivers point; ``messages`` is what arrived, in order."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, receiver: str) -> str:
        """The apprise URL a receiver of that name posts to."""
        return f"json://127.0.0.1:{self.port}/{receiver}"

    def received(self) -> list[Message]:
        with self.lock:
            return list(self.messages)


def phone(message: Message) -> str:
    """The message as a phone's notification shows it: who got it, then title and text."""
    clock = time.strftime("%H:%M:%S", time.localtime(message.at))
    lines = [f"┌─ 📱 {message.receiver} · {clock}", f"│ {message.title}"]
    lines += [f"│ {line}" for line in message.body.strip().splitlines() if line.strip()]
    return "\n".join(lines) + "\n└─"


@contextmanager
def serving(show: Callable[[str], None]) -> Iterator[Sink]:
    """Run the sink on a free loopback port; ``show`` prints each message as it arrives."""
    sink = Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = {}
            message = Message(receiver=self.path.strip("/") or "default", title=str(doc.get("title", "")),
                              body=str(doc.get("message", "")), at=time.time())
            with sink.lock:
                sink.messages.append(message)
            show(phone(message))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:  # the phone view is the log
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="demo-sink", daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
