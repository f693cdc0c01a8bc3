"""The HTTP session for data: pooled, large TLS writes, no netrc, abortable at once, and
every request bounded as a whole.

Socket timeouts bound each read and write, not a request: a server that trickles a byte just
inside the timeout, or stops reading a body for a while, could hold a run forever. So each
request carries a :class:`Deadline`; one watchdog thread shuts the request's socket when it
passes, and whatever blocks on it (sending, waiting for the answer, reading a trickle)
returns at once.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import signal
import socket
import threading
import time
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


#: The slowest a body may move on average (bytes per second). One request may take the connect
#: and read timeouts plus its body's size at this rate, in all; then its socket is shut.
MIN_RATE = 64 << 10


class TooSlow(requests.Timeout):
    """A request's deadline passed (its text is globusput's own)."""


class Deadline:
    """One request's time limit, and the socket it is sent on once known."""

    def __init__(self, seconds: float, send_timeout: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.send_timeout = send_timeout  #: a body's writes wait this long (not the connect's)
        self.expired = False
        self._done = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def extend(self, seconds: float) -> None:
        """More time, once the answer says how much body is coming."""
        self.seconds += seconds
        self.at += seconds

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            if self._sock is not None:
                _shut(self._sock)

    def finish(self) -> None:
        """The request is over: its socket may serve the next one, never to be shut by this."""
        with self._lock:
            self._done = True
            self._sock = None


class _Watchdog:
    """One thread for every deadline of the process, woken for the nearest."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._wake:
            heapq.heappush(self._due, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadline", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                while self._due and self._due[0][0] <= now:
                    limit = heapq.heappop(self._due)[2]
                    if limit.at <= now:
                        limit.expire()
                    else:  # extended meanwhile
                        heapq.heappush(self._due, (limit.at, next(self._order), limit))
                self._wake.wait(self._due[0][0] - now if self._due else None)


_WATCHDOG = _Watchdog()
_current = threading.local()


@contextlib.contextmanager
def deadline(seconds: float, send_timeout: float, cancel: threading.Event) -> Iterator[Deadline]:
    """Bound every request this thread sends meanwhile (one at a time) to ``seconds`` in all;
    what fails because the deadline passed fails as :class:`TooSlow`."""
    limit = Deadline(seconds, send_timeout)
    _current.deadline = limit
    _WATCHDOG.watch(limit)
    try:
        yield limit
    except BaseException:
        if limit.expired and not cancel.is_set():
            raise TooSlow(
                f"no whole answer within {limit.seconds:.0f} s (--timeout, plus the body at "
                f"{MIN_RATE >> 10} KiB/s): the server is too slow or stalling"
            ) from None
        raise
    finally:
        limit.finish()
        _current.deadline = None


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _TrackedConnection(HTTPSConnection):
    """Remembers itself while open, so an interruption can cut every transfer short; hands
    its socket to the request's deadline, and writes a body with the read timeout (urllib3
    would use the connect timeout, failing a server that pauses reading a little longer)."""

    open_connections: ClassVar[weakref.WeakSet[_TrackedConnection]] = weakref.WeakSet()

    def connect(self) -> None:
        super().connect()
        self.open_connections.add(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        limit: Deadline | None = getattr(_current, "deadline", None)
        if limit is not None and self.sock is not None:
            limit.attach(self.sock)
            self.timeout = limit.send_timeout
        super().request(*args, **kwargs)


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
            _shut(sock)


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
