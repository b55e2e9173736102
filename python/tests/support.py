"""Helpers of the emitter's tests: the repository root, a scriptable local HTTP server, polling."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Reply:
    """One scripted answer: status, headers, body; ``hang`` blocks until the server is released."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"accepted":true}'
    hang: bool = False


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    at: float


class ReportServer:
    """A local HTTP server that records every request and answers from a script (default 200)."""

    def __init__(self, port: int = 0) -> None:
        self.script: deque[Reply] = deque()
        self.requests: list[Received] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                with server._lock:
                    reply = server.script.popleft() if server.script else Reply()
                    server.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw), time.monotonic())
                    )
                if reply.hang:
                    server.release.wait(30)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                data = reply.body.encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def reports(self) -> list[dict[str, Any]]:
        """Every report received, in arrival order (the bodies are arrays)."""
        with self._lock:
            return [r for req in self.requests for r in req.body]

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.01) -> bool:
    """Polls ``predicate`` until it is true or ``timeout`` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
