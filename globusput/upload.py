"""Moving bytes: streamed, hashed PUTs with retries, verification and atomic placement.

Every outcome a user could mistake for success is a failure here: a redirect (the token was not
accepted), a 2xx carrying an HTML page (a step-up login), a stored size that differs from the
local one. Transient faults are retried under urllib3's :class:`~urllib3.util.Retry` policy
(jittered exponential backoff, ``Retry-After``), re-reading the file from disk each time.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import posixpath
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import requests
from urllib3.exceptions import MaxRetryError
from urllib3.util import Retry

from globusput.body import Cancelled, FileChanged, HashingReader
from globusput.errors import AuthError, ServiceError
from globusput.layout import PlannedUpload, url_for
from globusput.session import BLOCK_SIZE

if TYPE_CHECKING:
    from globusput.auth import DataAuthorizer
    from globusput.collection import Collection
    from globusput.progress import Progress

Status = Literal["uploaded", "skipped", "failed", "planned"]

#: Statuses that say "try again later" rather than "this will never work".
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Local and server clocks may differ this much when judging a stored copy's age.
CLOCK_SLACK = 60.0
MAX_RETRY_AFTER = 300.0


@dataclass
class Outcome:
    item: PlannedUpload
    status: Status
    sha256: str | None = None
    error: str | None = None
    auth_failure: bool = False
    attempts: int = 0
    seconds: float = 0.0


class _Retryable(Exception):
    """An attempt failed in a way worth repeating."""

    def __init__(
        self, reason: str, response: requests.Response | None = None, unknown_outcome: bool = False
    ) -> None:
        super().__init__(reason)
        self.response = response
        self.unknown_outcome = unknown_outcome  #: the server may have stored the file anyway


class _Permanent(Exception):
    def __init__(self, reason: str, auth: bool = False) -> None:
        super().__init__(reason)
        self.auth = auth


class Uploader:
    """Uploads one planned file at a time; safe to call from many threads at once."""

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
        verify_size: bool,
        overwrite: str,
        atomic: bool,
        collection: Collection,
        cancel: threading.Event,
        debug: Callable[[str], None],
        progress: Progress,
    ) -> None:
        self.session = session
        self.authorizer = authorizer
        self.identity = identity
        self.verify_tls = verify_tls
        self.retries = retries
        self.backoff = backoff
        self.timeout = (min(10.0, timeout), timeout)
        self.verify_size = verify_size
        self.overwrite = overwrite
        self.atomic = atomic
        self.collection = collection
        self.cancel = cancel
        self.debug = debug
        self.progress = progress

    # -- one file ---------------------------------------------------------------------------
    def upload(self, item: PlannedUpload) -> Outcome:
        started = time.monotonic()
        outcome = Outcome(item, "failed")
        try:
            if self.overwrite != "always" and self._can_skip(item):
                outcome.status = "skipped"
                outcome.sha256 = _sha256_of(item.source.path)
            else:
                outcome.sha256, outcome.attempts = self._upload(item)
                outcome.status = "uploaded"
        except _Permanent as exc:
            outcome.error, outcome.auth_failure = str(exc), exc.auth
        except AuthError as exc:
            outcome.error, outcome.auth_failure = str(exc), True
        except Cancelled:
            outcome.error = "cancelled"
        except OSError as exc:
            outcome.error = f"cannot read {item.source.path}: {exc.strerror or exc}"
        outcome.seconds = time.monotonic() - started
        self.progress.done(item)
        return outcome

    def _upload(self, item: PlannedUpload) -> tuple[str, int]:
        target_path = item.remote_path
        if self.atomic:
            folder, name = posixpath.split(item.remote_path)
            target_path = posixpath.join(folder, f".{name}.globusput-{secrets.token_hex(4)}.part")
        target_url = url_for(item.base_url, target_path)
        partial: list[bool] = []  # set when an attempt may have left a truncated file
        try:
            sha256, attempts = self._put_with_retries(item, target_url, partial)
            if self.atomic:
                self._move_into_place(item, target_path)
        except BaseException:
            # never leave a truncated file under a name: the temporary one always goes, the
            # final one when an interrupted attempt may have cut it short
            if self.atomic or any(partial):
                self._discard(target_url)
            raise
        return sha256, attempts

    def _put_with_retries(
        self, item: PlannedUpload, url: str, partial: list[bool]
    ) -> tuple[str, int]:
        retry = Retry(
            total=self.retries,
            backoff_factor=self.backoff,
            backoff_max=30.0,
            backoff_jitter=self.backoff,
            respect_retry_after_header=True,
        )
        renewed = False
        attempts = 0
        while True:
            if self.cancel.is_set():
                raise Cancelled
            attempts += 1
            started = time.time()
            try:
                return self._attempt(item, url, partial), attempts
            except _Unauthorized as exc:
                if renewed or not self.authorizer.renew(exc.generation):
                    raise _Permanent(self._permission_message(item, 401), auth=True) from None
                renewed = True
                self.debug(f"{item.source.path}: token was refused (401), renewed it, repeating")
                continue
            except _Retryable as exc:
                if self.cancel.is_set():
                    raise Cancelled from None
                if exc.unknown_outcome and self._stored_already(item, url, started):
                    return _sha256_of(item.source.path), attempts
                try:
                    retry = retry.increment(
                        method="PUT",
                        url=url,
                        response=exc.response.raw if exc.response is not None else None,
                        error=None if exc.response is not None else exc,
                    )
                except MaxRetryError:
                    raise _Permanent(f"{exc} (gave up after {attempts} attempts)") from None
                delay = retry.get_backoff_time()
                if exc.response is not None:
                    delay = max(
                        delay, min(MAX_RETRY_AFTER, retry.get_retry_after(exc.response.raw) or 0.0)
                    )
                self.debug(f"{item.source.path}: {exc}; attempt {attempts + 1} in {delay:.1f}s")
                if self.cancel.wait(delay):
                    raise Cancelled from None

    def _attempt(self, item: PlannedUpload, url: str, partial: list[bool]) -> str:
        with open(item.source.path, "rb") as stream:
            body = HashingReader(
                stream,
                item.source.size,
                self.cancel,
                lambda amount: self.progress.advance(item, amount),
            )
            try:
                return self._send(item, url, partial, body)
            except BaseException:
                self.progress.advance(item, -body.sent)  # the next attempt starts over
                raise

    def _request(
        self, method: str, url: str, data: HashingReader | None = None
    ) -> tuple[requests.Response, int]:
        """Every request to the collection: its token, the SDK's TLS trust, timeouts, and
        redirects never followed (they lead to login pages, and would take the token along).
        Returns the answer and the token generation it was sent with."""
        header, generation = self.authorizer.header()
        response = self.session.request(
            method,
            url,
            data=data,
            headers={"Authorization": header},
            allow_redirects=False,
            timeout=self.timeout,
            verify=self.verify_tls,
        )
        return response, generation

    def _send(self, item: PlannedUpload, url: str, partial: list[bool], body: HashingReader) -> str:
        size = item.source.size
        self.debug(f"PUT {url} ({size} bytes) Authorization: Bearer ***")
        try:
            response, generation = self._request("PUT", url, body)
        except FileChanged as exc:
            partial.append(True)
            raise _Permanent(f"{item.source.path} changed while uploading: {exc}") from None
        except Cancelled:
            partial.append(body.sent > 0)
            raise
        except (requests.ConnectionError, requests.Timeout) as exc:
            partial.append(body.sent > 0)
            if self.cancel.is_set():
                raise Cancelled from None
            if "certificate verify failed" in str(exc).lower():
                raise _Permanent(
                    f"TLS verification of {item.base_url} failed: if the collection uses "
                    "a private CA, point GLOBUS_SDK_VERIFY_SSL or REQUESTS_CA_BUNDLE at "
                    "its certificate bundle"
                ) from None
            raise _Retryable(_describe(exc), unknown_outcome=body.sent == size) from None
        try:
            body.finish()
        except FileChanged as exc:
            partial.append(True)
            raise _Permanent(f"{item.source.path} changed while uploading: {exc}") from None
        self.debug(f"PUT {url} -> {response.status_code}")
        self._judge(item, response, generation)
        if self.verify_size:
            self._verify(item, url)
        return body.hexdigest()

    def _judge(self, item: PlannedUpload, response: requests.Response, generation: int) -> None:
        """Turn an answer into success, a retry, or a permanent failure."""
        status = response.status_code
        if 200 <= status < 300:
            if looks_like_html(response):
                raise _Permanent(
                    f"the server answered {status} with an HTML page instead of storing the file: "
                    "the collection wants an interactive (step-up) login; use an identity that "
                    "satisfies its authentication policy",
                    auth=True,
                )
            return
        if 300 <= status < 400:
            raise _Permanent(
                f"redirected ({status}) to a login page: the collection did not accept the token "
                f"for {self.identity}; check that the collection id is right and that identity "
                "has access",
                auth=True,
            )
        if status == 401:
            raise _Unauthorized(generation)
        if status == 403:
            raise _Permanent(self._permission_message(item, status), auth=True)
        if status in TRANSIENT_STATUSES or (status == 404 and _endpoint_error(response)):
            raise _Retryable(f"server answered {status}", response=response)
        if status in (404, 405, 409):
            raise _Permanent(
                f"the server refused the file ({status}): the folder "
                f"{posixpath.dirname(item.remote_path)}/ is missing or {item.remote_path} is "
                "a folder; leave folder creation on (no --no-mkdir) or create it first"
            )
        raise _Permanent(f"the server answered {status} {response.reason}")

    def _verify(self, item: PlannedUpload, url: str) -> None:
        size = self._remote_size(item, url)[0]
        if size is None:
            raise _Retryable("the stored file could not be found right after the upload")
        if size != item.source.size:
            raise _Retryable(f"stored size {size} differs from local size {item.source.size}")

    def _stored_already(self, item: PlannedUpload, url: str, started: float) -> bool:
        """After an unknown outcome: is this very upload already there? Then do not resend."""
        try:
            size, modified = self._remote_size(item, url)
        except _Retryable:
            return False
        fresh = modified is not None and modified >= started - CLOCK_SLACK
        if size == item.source.size and fresh:
            self.debug(f"{item.source.path}: stored despite the error, not sending it again")
            return True
        return False

    def _remote_size(self, item: PlannedUpload, url: str) -> tuple[int | None, float | None]:
        """Size and modification time of the stored file by HEAD (None, None when absent)."""
        try:
            response, _ = self._request("HEAD", url)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(_describe(exc)) from None
        self.debug(f"HEAD {url} -> {response.status_code}")
        if response.status_code == 404:
            return None, None
        if response.status_code != 200 or "Content-Length" not in response.headers:
            raise _Retryable(f"checking the stored size answered {response.status_code}")
        modified = response.headers.get("Last-Modified")
        parsed = email.utils.parsedate_to_datetime(modified).timestamp() if modified else None
        return int(response.headers["Content-Length"]), parsed

    def _can_skip(self, item: PlannedUpload) -> bool:
        """``never``: skip anything present; ``changed``: skip same size, not older."""
        try:
            size, modified = self._remote_size(item, item.url)
        except _Retryable:
            return False
        if size is None:
            return False
        if self.overwrite == "never":
            return True
        local = os.stat(item.source.path).st_mtime
        return size == item.source.size and modified is not None and modified + 1 >= local

    # -- atomic placement -------------------------------------------------------------------
    def _move_into_place(self, item: PlannedUpload, temp_path: str) -> None:
        try:
            self.collection.rename(temp_path, item.remote_path)
        except ServiceError as exc:
            if "Exists" not in str(exc):
                raise _Permanent(str(exc)) from None
            # rename does not replace here: remove the old file, then rename again
            self._discard(item.url)
            try:
                self.collection.rename(temp_path, item.remote_path)
            except ServiceError as again:
                raise _Permanent(str(again)) from None
        except AuthError as exc:
            raise _Permanent(str(exc), auth=True) from None

    def _discard(self, url: str) -> None:
        try:
            self._request("DELETE", url)
        except (requests.RequestException, AuthError):
            self.debug(f"could not remove {url}")

    def _permission_message(self, item: PlannedUpload, status: int) -> str:
        return (
            f"permission denied ({status}): {self.identity} needs write access to "
            f"{posixpath.dirname(item.remote_path)}/ on collection {self.collection.id}; "
            "grant it through the collection's sharing settings (guest collection) or an "
            "identity mapping (mapped collection)"
        )


class _Unauthorized(Exception):
    def __init__(self, generation: int) -> None:
        super().__init__("401")
        self.generation = generation


def looks_like_html(response: requests.Response) -> bool:
    """A non-empty HTML body on a 2xx is a login page, not an acknowledgement."""
    head = response.content[:512].lstrip().lower()
    if not head:
        return False
    return "html" in response.headers.get("Content-Type", "").lower() or head.startswith(
        (b"<!doctype", b"<html", b"<head", b"<script")
    )


def _endpoint_error(response: requests.Response) -> bool:
    """GCS answers some backend faults as 404 naming ENDPOINT_ERROR; those are transient."""
    text = response.content[:4096]
    return b"ENDPOINT_ERROR" in text or b"GCS Manager Internal Error" in text


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out waiting for the server"
    return "connection failed or was reset"


def _sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(BLOCK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
