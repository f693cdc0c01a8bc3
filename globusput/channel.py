"""The one way to the collection's HTTPS server, for both directions: the authorised request
and what its answer means.

Every request carries the collection's token (and goes nowhere else: redirects are never
followed, they lead to login pages and would take the token along), the SDK's TLS trust,
timeouts, and cancellation. Every answer is judged here: done, worth another try, or final;
every outcome a user could mistake for success is a failure (a redirect to a login page, a 2xx
carrying an HTML step-up page). Transient failures are retried under urllib3's
:class:`~urllib3.util.Retry` policy (jittered exponential backoff, ``Retry-After`` honoured up
to five minutes), the same for uploads and downloads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import requests
from urllib3.exceptions import MaxRetryError
from urllib3.util import Retry

from globusput.errors import (
    AuthError,
    Cancelled,
    Mismatch,
    Permanent,
    Restart,
    Retryable,
    Unauthorized,
)
from globusput.outcomes import CANCELLED, Item, Outcome
from globusput.session import MIN_RATE, Deadline, TooSlow, deadline

if TYPE_CHECKING:
    from globusput.auth import DataAuthorizer
    from globusput.progress import Progress

MAX_RETRY_AFTER = 300.0
#: Bytes of an answer's body ever read, but for the file a GET fetches: error texts, an
#: acknowledgement, a login page's head. Whatever the server sends beyond is not read.
BODY_LIMIT = 4096
#: Statuses that say "try again later" rather than "this will never work".
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Answers that may mean "the folder is missing": servers disagree (WebDAV 409, nginx 500,
#: others 404, 405 or 403), and Globus does not document its own.
FOLDER_HINTS = frozenset({403, 404, 405, 409, 500})
STEP_UP = (
    "the collection wants an interactive (step-up) login; use an identity that satisfies its "
    "authentication policy"
)

Method = Literal["PUT", "GET", "HEAD", "DELETE"]


class Channel:
    """Safe to use from many threads at once: each call carries its own state."""

    def __init__(
        self,
        *,
        session: requests.Session,
        authorizer: DataAuthorizer,
        identity: str,
        collection_id: str,
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
        self.collection_id = collection_id
        self.verify_tls = verify_tls
        self.retries = retries
        self.backoff = backoff
        self.timeout = (min(10.0, timeout), timeout)  #: (connect, read)
        self.cancel = cancel
        self.debug = debug
        self.progress = progress

    def request(
        self,
        method: Method,
        url: str,
        *,
        data: Any = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        size: int = 0,
    ) -> tuple[requests.Response, int]:
        """Send one request with the collection's token; the answer, and the token
        generation it was sent with (for a renewal after a refusal). The body is read only
        up to :data:`BODY_LIMIT` unless ``stream`` (a GET's file, which the caller reads
        within its own :meth:`limit`), and asked for as it is stored (``identity``): never
        expanded by decompression. ``size``: the bytes ``data`` holds, for the deadline."""
        if stream:
            return self._authorised(method, url, data, headers)
        with self.limit(size):
            response, generation = self._authorised(method, url, data, headers)
            read_head(response)
        return response, generation

    def limit(self, size: int = 0) -> contextlib.AbstractContextManager[Deadline]:
        """Bound the request made within (one at a time), and the reading of its answer, to
        the connect and read timeouts plus ``size`` bytes at :data:`MIN_RATE`; past that its
        socket is shut and :class:`TooSlow` raised, a network failure like any other."""
        return deadline(sum(self.timeout) + size / MIN_RATE, self.timeout[1], self.cancel)

    def _authorised(
        self, method: Method, url: str, data: Any, headers: dict[str, str] | None
    ) -> tuple[requests.Response, int]:
        header, generation = self.authorizer.header()
        response = self.session.request(
            method,
            url,
            data=data,
            headers={"Accept-Encoding": "identity", **(headers or {}), "Authorization": header},
            allow_redirects=False,
            timeout=self.timeout,
            verify=self.verify_tls,
            stream=True,
        )
        return response, generation

    def renewed(self, exc: Unauthorized, renewed: bool) -> bool:
        """After a refusal: True when a renewed token is worth one more attempt (once per
        file); otherwise the refusal stands."""
        return not renewed and self.authorizer.renew(exc.generation, exc.status)

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

    def judge(
        self, method: Method, response: requests.Response, generation: int, item: Any
    ) -> None:
        """See :func:`judge`; ``item`` is the file the request was about."""
        judge(method, response, generation, item, self.identity, self.collection_id)


def judge(
    method: Method,
    response: requests.Response,
    generation: int,
    item: Any,
    identity: str,
    collection: str,
) -> None:
    """Turn an answer into success (return), a retry or a final failure (raise). ``item``
    has the ``folder`` and ``path`` of the file on the collection."""
    status = response.status_code
    if 200 <= status < 300:
        if method == "PUT" and looks_like_html(response):
            raise Permanent(
                f"the server answered {status} with an HTML page instead of storing the file: "
                + STEP_UP,
                auth=True,
            )
        return
    if method == "GET":
        read_head(response)  # a short error body is read whole, so the connection is reused
    if status == 416 and method == "GET":
        raise Restart  # the part held is not a prefix of the file any more
    if 300 <= status < 400:
        raise Permanent(
            f"redirected ({status}) to a login page: the collection did not accept the token "
            f"for {identity}; check that the collection id is right and that identity "
            "has access",
            auth=True,
        )
    if status in (401, 403):
        access = "write" if method == "PUT" else "read"
        message = permission_message(item.folder, status, identity, collection, access)
        raise Unauthorized(generation, Permanent(message, auth=True, status=status))
    if status in TRANSIENT_STATUSES or (status == 404 and endpoint_error(response)):
        raise Retryable(f"server answered {status}", response=response)
    if status == 404 and method == "GET":
        raise Permanent(f"{item.path} is not on the collection (404)", status=status)
    if status in (404, 405, 409) and method == "PUT":
        raise Permanent(
            f"the server refused the file ({status}): the folder "
            f"{item.folder}/ is missing or {item.path} is "
            "a folder; leave folder creation on (no --no-mkdir) or create it first",
            status=status,
        )
    raise Permanent(f"the server answered {status} {response.reason}", status=status)


def read_head(response: requests.Response, limit: int = BODY_LIMIT) -> bytes:
    """The first ``limit`` bytes of a streamed answer's body, kept as its ``content``. A body
    that ends within them frees the connection for the next request; a longer one is cut off
    with its connection (a server cannot make globusput read a gigabyte of error page)."""
    if isinstance(response._content, bytes):  # read already
        return response._content
    head = bytearray()
    chunks = response.iter_content(1024)
    for chunk in chunks:
        head += chunk
        if len(head) > limit:
            response.close()
            break
    response._content = bytes(head[:limit])
    response._content_consumed = True  # type: ignore[attr-defined]
    return response._content


def permission_message(
    folder: str, status: int, identity: str, collection: str, access: str = "write"
) -> str:
    """Who needs which access where, and where it is granted."""
    return (
        f"permission denied ({status}): {identity} needs {access} access to "
        f"{folder}/ on collection {collection}; "
        "grant it through the collection's sharing settings (guest collection) or an "
        "identity mapping (mapped collection)"
    )


def looks_like_html(response: requests.Response) -> bool:
    """A non-empty HTML body on a 2xx is a login page, not an acknowledgement."""
    head = response.content[:512].lstrip().lower()
    if not head:
        return False
    return "html" in response.headers.get("Content-Type", "").lower() or head.startswith(
        (b"<!doctype", b"<html", b"<head", b"<script")
    )


def endpoint_error(response: requests.Response) -> bool:
    """GCS answers some backend faults as 404 naming ENDPOINT_ERROR; those are transient."""
    text = response.content[:4096]
    return b"ENDPOINT_ERROR" in text or b"GCS Manager Internal Error" in text


def describe(exc: requests.RequestException) -> str:
    """A failure without an answer, in words (its text can carry URLs: not shown)."""
    if isinstance(exc, TooSlow):
        return str(exc)
    if isinstance(exc, requests.Timeout):
        return "timed out waiting for the server"
    if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return "connection failed or was reset"
    return f"the server's answer could not be read ({type(exc).__name__})"


def failure(item: Item, exc: BaseException, local: str) -> Outcome[Item]:
    """The outcome of a file given up with ``exc``; ``local`` names what a local I/O error
    was about ("cannot read dist/a.whl")."""
    outcome: Outcome[Item] = Outcome(item, "failed", error=str(exc))
    if isinstance(exc, Permanent):
        outcome.auth_failure = exc.auth
        outcome.mismatch = isinstance(exc, Mismatch)
    elif isinstance(exc, AuthError):
        outcome.auth_failure = True
    elif isinstance(exc, Cancelled):
        outcome.error = CANCELLED
    elif isinstance(exc, requests.RequestException):  # an OSError too, but not a local one
        outcome.error = f"network error talking to the collection: {describe(exc)}"
    elif isinstance(exc, OSError):
        outcome.error = f"{local}: {exc.strerror or exc}"
    # other GlobusputErrors: a Transfer failure while making this file's folder
    return outcome
