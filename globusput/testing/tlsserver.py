"""A threaded HTTPS/1.1 server whose TLS handshakes happen in the worker threads."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ConnectionAborted(Exception):
    """Raised by a handler after it reset the connection on purpose."""


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        port: int,
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
        host: str = "127.0.0.1",
    ) -> None:
        self.context = context
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)  # type: ignore[arg-type]
        except (ConnectionAborted, OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def start(self) -> None:
        # a short poll: shutdown() waits for it, once per collection a test suite makes
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="standin", daemon=True
        ).start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class Handler(BaseHTTPRequestHandler):
    """Shared plumbing: keep-alive, JSON answers, body draining, deliberate resets."""

    protocol_version = "HTTP/1.1"
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(data).encode(), "application/json", headers)

    def body_length(self) -> int:
        return int(self.headers.get("Content-Length") or 0)

    def read_body(self) -> bytes:
        return self.rfile.read(self.body_length())

    def drain_body(self, already: int = 0) -> None:
        remaining = self.body_length() - already
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)

    def reset_connection(self) -> None:
        """Close with RST, like a proxy or a crashed backend would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        raise ConnectionAborted

    def bearer_token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        if value.lower().startswith("bearer "):
            return value[7:].strip()
        return None
