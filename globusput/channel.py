"""What every file's transfer to or from the collection's HTTPS server shares: the pooled
session, the token, TLS trust, timeouts, the retry policy, cancellation and progress.

Transient failures are retried under urllib3's :class:`~urllib3.util.Retry` policy (jittered
exponential backoff, ``Retry-After`` honoured up to five minutes), the same for uploads and
downloads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from urllib3.exceptions import MaxRetryError
from urllib3.util import Retry

from globusput.answers import Permanent, Retryable
from globusput.body import Cancelled

if TYPE_CHECKING:
    import requests

    from globusput.auth import DataAuthorizer
    from globusput.progress import Progress

MAX_RETRY_AFTER = 300.0


class Channel:
    """Safe to use from many threads at once: each call carries its own state."""

    def __init__(
        self,
        *,
        session: requests.Session,
        authorizer: DataAuthorizer,
        identity: str,
        verify_tls: bool | str,
        retries: int,
        backoff: float,
        timeout: float,
        cancel: threading.Event,
        debug: Callable[[str], None],
        progress: Progress,
    ) -> None:
        self.session = session
        self.authorizer = authorizer
        self.identity = identity  #: who the collection sees, for permission messages
        self.verify_tls = verify_tls
        self.retries = retries
        self.backoff = backoff
        self.timeout = (min(10.0, timeout), timeout)  #: (connect, read)
        self.cancel = cancel
        self.debug = debug
        self.progress = progress

    def retry_policy(self) -> Retry:
        """A fresh count of the retries one file may have."""
        return Retry(
            total=self.retries,
            backoff_factor=self.backoff,
            backoff_max=30.0,
            backoff_jitter=self.backoff,
            respect_retry_after_header=True,
        )

    def pause(self, retry: Retry, exc: Retryable, method: str, url: str, note: str) -> Retry:
        """Count ``exc`` against ``retry`` and wait its backoff (or the server's
        ``Retry-After``); :class:`Permanent` once the retries are spent, :class:`Cancelled`
        when the run stops meanwhile. ``note`` ends the debug line (what happens next)."""
        if self.cancel.is_set():
            raise Cancelled
        try:
            retry = retry.increment(
                method=method,
                url=url,
                response=exc.response.raw if exc.response is not None else None,
                error=None if exc.response is not None else exc,
            )
        except MaxRetryError:
            raise Permanent(f"{exc} (gave up after {len(retry.history) + 1} attempts)") from None
        delay = retry.get_backoff_time()
        if exc.response is not None:
            after = retry.get_retry_after(exc.response.raw) or 0.0
            delay = max(delay, min(MAX_RETRY_AFTER, after))
        self.debug(f"{exc}; {note} in {delay:.1f}s")
        if self.cancel.wait(delay):
            raise Cancelled
        return retry
