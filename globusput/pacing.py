"""Every request to Globus Transfer goes through here: paced, counted, and slowed by a 429.

Globus reportedly limits Transfer to about 20 requests per second per user. A run that makes
its folders or listings concurrently could reach that, and so could several jobs of one
pipeline sharing a client: so a run never starts more than ``RATE`` requests in any
``WINDOW`` seconds, and a 429 holds every thread back for its ``Retry-After`` and halves the
pace for the rest of the run. The SDK retries the 429 itself (``RetryConfig``).
"""

from __future__ import annotations

import collections
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import globus_sdk
import requests
from globus_sdk.transport import RetryCheckResult

from globusput.session import LoggedSession

#: At most this many Transfer requests start in any WINDOW seconds: half the reported limit.
RATE = 10
WINDOW = 1.0
#: A 429 without a usable Retry-After holds requests back this long.
DEFAULT_HOLD = 5.0
MAX_HOLD = 300.0
#: Enough retries to ride out a few minutes of throttling before a call is given up.
MAX_RETRIES = 10
#: A Transfer that cannot be reached (refused connection, unknown host, TLS failure) is tried
#: this many more times, about 8 s of backoff: not the minutes meant for throttling.
NETWORK_RETRIES = 4

_KIND = re.compile(r"/operation/endpoint/[^/]+/(\w+)|/(endpoint)/[^/]+$")


class Pacer:
    """A sliding window of request starts, shared by every thread of a run."""

    def __init__(
        self,
        rate: int = RATE,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._starts: collections.deque[float] = collections.deque()
        self._held_until = 0.0
        self._lock = threading.Lock()
        self.throttled = 0  #: 429 answers seen

    def wait(self) -> None:
        """Block until one more request may start; callers are served in turn."""
        with self._lock:
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - self.window:
                    self._starts.popleft()
                delay = self._held_until - now
                if len(self._starts) >= self.rate:
                    delay = max(delay, self._starts[0] + self.window - now)
                if delay <= 0:
                    self._starts.append(now)
                    return
                self._sleep(delay)

    def slow_down(self, retry_after: float | None) -> None:
        """After a 429: nobody starts before Retry-After, and the pace halves from now on."""
        hold = DEFAULT_HOLD if retry_after is None else min(max(retry_after, 0.0), MAX_HOLD)
        with self._lock:
            self.throttled += 1
            self._held_until = max(self._held_until, self._clock() + hold)
            self.rate = max(1, self.rate // 2)


class _PacedSession(LoggedSession):
    def __init__(
        self, pacer: Pacer, counts: collections.Counter[str], log: Callable[[str], None] | None
    ) -> None:
        super().__init__(log, "Transfer")
        self._pacer = pacer
        self._counts = counts

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self._pacer.wait()
        match = _KIND.search(request.path_url.partition("?")[0])
        self._counts[(match.group(1) or match.group(2)) if match else "other"] += 1
        response = super().send(request, **kwargs)
        if response.status_code == 429:
            self._pacer.slow_down(_retry_after(response))
        return response


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _network_retries_bounded(
    ctx: globus_sdk.transport.RetryContext,
) -> globus_sdk.transport.RetryCheckResult:
    """Stop retrying a request that never got an answer after ``NETWORK_RETRIES``."""
    if isinstance(ctx.exception, requests.RequestException) and ctx.attempt >= NETWORK_RETRIES:
        return RetryCheckResult.do_not_retry
    return RetryCheckResult.no_decision


class TransferPacing:
    """The pacer and request counts of one run, and Transfer clients that honour them."""

    def __init__(
        self, pacer: Pacer | None = None, log: Callable[[str], None] | None = None
    ) -> None:
        self.pacer = pacer or Pacer()
        self.counts: collections.Counter[str] = collections.Counter()
        self._log = log

    def client(
        self,
        authorizer: globus_sdk.authorizers.GlobusAuthorizer | None = None,
        app: globus_sdk.UserApp | None = None,
    ) -> globus_sdk.TransferClient:
        transport = globus_sdk.transport.RequestsTransport()
        transport.session.close()
        transport.session = _PacedSession(self.pacer, self.counts, self._log)
        retry = globus_sdk.transport.RetryConfig(max_retries=MAX_RETRIES, max_sleep=60)
        # registered before the client adds its standard checks, so it decides first
        retry.checks.register_check(_network_retries_bounded)
        if app is not None:
            return globus_sdk.TransferClient(app=app, transport=transport, retry_config=retry)
        return globus_sdk.TransferClient(
            authorizer=authorizer, transport=transport, retry_config=retry
        )

    def describe(self) -> str:
        """``5 Transfer requests (endpoint 1, mkdir 2, ls 2)``, for the verbose log."""
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.counts.items()))
        text = f"{sum(self.counts.values())} Transfer request(s) ({kinds or 'none'})"
        if self.pacer.throttled:
            text += f"; throttled {self.pacer.throttled} time(s) (429), pace lowered"
        return text
