"""The HTTP session for data: pooled, large TLS writes, no netrc, and abortable at once."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import weakref
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, ClassVar

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool

from globusput.body import BLOCK_SIZE


class _KeepHeaders(AuthBase):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class _TrackedConnection(HTTPSConnection):
    """Remembers itself while open, so an interruption can cut every transfer short."""

    open_connections: ClassVar[weakref.WeakSet[_TrackedConnection]] = weakref.WeakSet()

    def connect(self) -> None:
        super().connect()
        self.open_connections.add(self)


class _TrackedPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["blocksize"] = BLOCK_SIZE
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"https": _TrackedPool}


class LoggedSession(requests.Session):
    """``-v``: every request's method, URL, status and time, whoever prepared it (globus-sdk
    prepares its own, so response hooks would miss them). Never headers, which carry the
    token; URLs of Globus services and collections hold none."""

    def __init__(self, log: Callable[[str], None] | None, service: str) -> None:
        super().__init__()
        self._log = log
        self._service = service

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        if self._log is not None:
            seconds = response.elapsed.total_seconds()
            self._log(
                f"{self._service}: {request.method} {request.url} -> {response.status_code} "
                f"({seconds:.2f}s)"
            )
        return response


def make_session(concurrency: int, log: Callable[[str], None]) -> requests.Session:
    """One pooled session for every PUT: connections and TLS sessions are reused."""
    session = LoggedSession(log, "HTTPS")
    # proxies and REQUESTS_CA_BUNDLE from the environment still apply; ~/.netrc must not
    # replace the bearer token, which a session-level auth prevents
    session.auth = _KeepHeaders()
    session.mount("https://", _Adapter(pool_connections=1, pool_maxsize=concurrency, max_retries=0))
    return session


def abort_transfers() -> None:
    """Shut every open upload connection: a thread blocked in send or recv returns at once.

    Loopback and fast networks buffer megabytes, so checking for cancellation between reads
    of the file is not enough; the wait for the server's answer has to be cut too.
    """
    for connection in list(_TrackedConnection.open_connections):
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def stopped_by_signals(cancel: threading.Event) -> Iterator[list[int]]:
    """While a run of files goes on, SIGINT and SIGTERM set ``cancel`` and cut every open
    transfer at once; the signals received are collected in the list yielded, and the
    previous handlers come back afterwards."""
    received: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        cancel.set()
        abort_transfers()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
