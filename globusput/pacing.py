"""Every request to Globus Transfer goes through here: paced, counted, and slowed by a 429.

Globus reportedly limits Transfer to about 20 requests per second per user. A run that makes
its folders or listings concurrently could reach that, and so could several jobs of one
pipeline sharing a client: so a run never starts more than ``RATE`` requests in any
``WINDOW`` seconds. A 429 means others share the limit (one run alone stays under it). With a
``Retry-After``, every thread waits it out and the pace halves. Without one (Globus documents
neither), nobody says when the limit frees up nor how many share it: the run then spaces its
requests, further apart after each 429 and a little closer after each answer, as TCP shares a
link, so jobs that share a limit settle near their share instead of retrying in step. The SDK
repeats the 429'd call (``RetryConfig``) without a backoff of its own: the pacer holds it.
"""

from __future__ import annotations

import collections
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import globus_sdk
import requests
from globus_sdk.transport import RetryCheckResult

from globusput.session import LoggedSession

#: At most this many Transfer requests start in any WINDOW seconds: half the reported limit.
RATE = 10
WINDOW = 1.0
#: After a 429 without Retry-After, requests start at least this far apart, twice as far after
#: each further one (up to MAX_SPACING); each answered request narrows the gap by RECOVERY.
FIRST_SPACING = 3.0
MAX_SPACING = 30.0
RECOVERY = 0.95
#: Without Retry-After, a 429 holds every request back this many spacings (jittered): the
#: first hold is 9 to 11 s, about the 10 s window Globus reportedly meters. A job coming back
#: before the window that refused it has ended is refused again, and its pace halves again for
#: nothing: a shorter hold (6 s) made one run in three of eight jobs sharing a limit twice as
#: slow. The jitter keeps jobs refused together from coming back together.
HOLD_SPACINGS = (3.0, 3.7)
MAX_HOLD = 300.0
#: Enough retries to ride out a few minutes of throttling before a call is given up.
MAX_RETRIES = 10
#: A Transfer that cannot be reached (refused connection, unknown host, TLS failure) is tried
#: this many more times, about 8 s of backoff: not the minutes meant for throttling.
NETWORK_RETRIES = 4

_T = TypeVar("_T")
_KIND = re.compile(r"/operation/endpoint/[^/]+/(\w+)|/(endpoint)/[^/]+$")


class Pacer:
    """A sliding window of request starts, shared by every thread of a run."""

    def __init__(
        self,
        rate: int = RATE,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.rate = rate
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._starts: collections.deque[float] = collections.deque()
        self._held_until = 0.0
        self._lock = threading.Lock()
        self.throttled = 0  #: 429 answers seen
        self.spacing = 0.0  #: least time between two starts; 0 until a 429
        self._widened = float("-inf")  #: when the spacing last grew

    def wait(self) -> float:
        """Block until one more request may start; callers are served in turn. Returns the
        start time, for :meth:`slow_down`."""
        with self._lock:
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - self.window:
                    self._starts.popleft()
                delay = self._held_until - now
                if len(self._starts) >= self.rate:
                    delay = max(delay, self._starts[0] + self.window - now)
                if self.spacing and self._starts:
                    delay = max(delay, self._starts[-1] + self.spacing - now)
                if delay <= 0:
                    self._starts.append(now)
                    return now
                self._sleep(delay)

    def slow_down(self, retry_after: float | None, sent: float | None = None) -> float | None:
        """After a 429 to a request started at ``sent``. With a Retry-After, Transfer says
        when: nobody starts before it, and the pace halves. Without one, the share of a
        limit others use is guessed: requests are spaced twice as far apart, and held back
        for a few spacings (jittered, so jobs refused together do not come back together).
        Requests started before the spacing last grew were refused with the same crowd: they
        widen it once. Returns the new hold in seconds (None: the standing one applies)."""
        with self._lock:
            self.throttled += 1
            now = self._clock()
            if retry_after is not None:
                self.rate = max(1, self.rate // 2)
                hold = min(max(retry_after, 0.0), MAX_HOLD)
            elif sent is not None and sent < self._widened:
                return None  # the hold set by the first of them stands
            else:
                self._widened = now
                self.spacing = min(MAX_SPACING, max(FIRST_SPACING, self.spacing * 2))
                hold = self.spacing * self._jitter(*HOLD_SPACINGS)
            self._held_until = max(self._held_until, now + hold)
            return hold

    def answered(self) -> None:
        """A request got through: the spacing narrows a little, and ends once it is no
        stricter than the rate itself."""
        with self._lock:
            self.spacing *= RECOVERY
            if self.spacing < self.window / self.rate:
                self.spacing = 0.0


class Lead:
    """Calls that a used-up limit would refuse all together go one at a time until one has
    answered: each refusal counts against the limit too, and one is news enough for the pacer
    to hold the rest. Then they may go together. For calls that can wait (a folder's listing
    after its files are stored), not for those a run waits on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answered = threading.Event()

    def __call__(self, call: Callable[[], _T]) -> _T:
        if not self._answered.is_set():
            with self._lock:
                if not self._answered.is_set():
                    try:
                        return call()
                    finally:
                        self._answered.set()
        return call()


class _PacedSession(LoggedSession):
    def __init__(
        self, pacer: Pacer, counts: collections.Counter[str], log: Callable[[str], None] | None
    ) -> None:
        super().__init__(log, "Transfer")
        self._pacer = pacer
        self._counts = counts

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        sent = self._pacer.wait()
        match = _KIND.search(request.path_url.partition("?")[0])
        self._counts[(match.group(1) or match.group(2)) if match else "other"] += 1
        response = super().send(request, **kwargs)
        if response.status_code == 429:
            hold = self._pacer.slow_down(_retry_after(response), sent)
            if hold is not None and self._log is not None:
                pace = self._pacer.spacing or self._pacer.window / self._pacer.rate
                self._log(f"Transfer: throttled; calls wait {hold:.1f}s, then {pace:.1f}s apart")
        elif self._pacer.spacing:
            self._pacer.answered()
        return response


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _throttling_is_the_pacers(
    ctx: globus_sdk.transport.RetryContext,
) -> globus_sdk.transport.RetryCheckResult:
    """A 429 is retried at once: the pacer, not a second backoff of the SDK's, holds it back
    (for its Retry-After, or the jittered spacing), with every other request of the run."""
    if ctx.response is not None and ctx.response.status_code == 429:
        ctx.backoff = 0.0
        return RetryCheckResult.do_retry
    return RetryCheckResult.no_decision


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
        retry.checks.register_check(_throttling_is_the_pacers)
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
