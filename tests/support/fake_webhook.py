"""A local stand-in for the WeCom/DingTalk robots and the SMS gateway, on 127.0.0.1.

`answer` decides each reply: "ok" ({"errcode": 0}), "500", "refuse" (200 with errcode 310000, as
DingTalk answers a bad signature), or "slow" (waits `delay` seconds before answering).
Every request is kept in `seen` (path, query, headers, JSON body).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_server import serving


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeWebhook:
    answer: str = "ok"
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "/robot/send?access_token=abc") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextmanager
def fake_webhook(answer: str = "ok", delay: float = 0.0) -> Iterator[FakeWebhook]:
    fake = FakeWebhook(answer, delay)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            parts = urllib.parse.urlsplit(self.path)
            with lock:
                fake.seen.append(
                    Seen(
                        parts.path,
                        dict(urllib.parse.parse_qsl(parts.query)),
                        {k.lower(): v for k, v in self.headers.items()},
                        json.loads(raw or b"{}"),
                    )
                )
            if fake.answer == "slow":
                time.sleep(fake.delay)
            if fake.answer == "500":
                self.send_response(500)
                self.end_headers()
                return
            errcode = 310000 if fake.answer == "refuse" else 0
            body = json.dumps({"errcode": errcode, "errmsg": "sign not match" if errcode else "ok"}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the "slow" case)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as port:
        fake.port = port
        yield fake


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a gateway that is down)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
