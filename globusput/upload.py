"""Moving bytes: one file's streamed, hashed PUT, with retries and a read-back of its size.

What each answer means is :mod:`globusput.answers`'s to say; a stored size that differs from the
local one is a failure too. Transient faults are retried under urllib3's
:class:`~urllib3.util.Retry` policy (jittered exponential backoff, ``Retry-After``), re-reading the
file from disk each time. An answer that may mean "no such folder" has the folder made (once per
run, by Transfer) and the file sent again.
"""

from __future__ import annotations

import email.utils
import hashlib
import posixpath
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

import requests

from globusput.answers import (
    FOLDER_HINTS,
    Permanent,
    Retryable,
    Unauthorized,
    describe,
    judge,
)
from globusput.body import Cancelled, FileChanged, HashingReader
from globusput.channel import Channel
from globusput.errors import AuthError, GlobusputError
from globusput.layout import PlannedUpload, url_for
from globusput.placement import Placement, PlacementFailed
from globusput.session import BLOCK_SIZE

if TYPE_CHECKING:
    from globusput.collection import Collection

Status = Literal["uploaded", "skipped", "failed", "planned"]

#: Local and server clocks may differ this much when judging a stored copy's age.
CLOCK_SLACK = 60.0
#: Up to this size a file's own PUT finds out whether its folder exists; bigger files ask
#: Transfer first rather than send megabytes into a folder that may not be there.
PROBE_LIMIT = 4 << 20


@dataclass
class Outcome:
    item: PlannedUpload
    status: Status
    sha256: str | None = None
    error: str | None = None
    auth_failure: bool = False
    attempts: int = 0
    seconds: float = 0.0


def file_in_the_way(folder: str) -> Permanent:
    return Permanent(
        f"{folder} on the collection is a file, not a folder: choose another destination, "
        "or remove that file"
    )


class FolderPending(Exception):
    """The file's folder has to be made first: try the file again once it is.

    Raised instead of waiting, so that a worker moves on to files whose folders exist while
    Transfer (far away) makes this one.
    """

    def __init__(self, folder: str, failure: Exception | None = None) -> None:
        super().__init__(folder)
        self.folder = folder
        #: the PUT's own failure, final unless the folder really was missing
        self.failure = failure if isinstance(failure, Permanent) else None


class Uploader(Channel):
    """Uploads one planned file at a time; safe to call from many threads at once."""

    def __init__(self, *, placement: Placement, make_folders: bool, **channel: Any) -> None:
        super().__init__(**channel)
        self.placement = placement
        self.collection: Collection = placement.collection
        self.make_folders = make_folders
        self._file_not_folder: dict[str, bool] = {}

    # -- one file ---------------------------------------------------------------------------
    def upload(self, item: PlannedUpload, check_size: bool, may_defer: bool = False) -> Outcome:
        """PUT one file into place; ``check_size`` asks the server for the stored size after
        each PUT (HEAD), where a folder listing will not check it later. With ``may_defer``
        a folder not known to exist raises :class:`FolderPending` instead of being made."""
        started = time.monotonic()
        try:
            sha256, attempts = self._upload(item, check_size, may_defer)
            outcome = Outcome(item, "uploaded", sha256=sha256, attempts=attempts)
        except (Permanent, GlobusputError, Cancelled, OSError) as exc:
            outcome = self.failed(item, exc)
        outcome.seconds = time.monotonic() - started
        self.progress.done(item)
        return outcome

    @staticmethod
    def failed(item: PlannedUpload, exc: Exception) -> Outcome:
        """The outcome of a file given up with ``exc``."""
        outcome = Outcome(item, "failed", error=str(exc))
        if isinstance(exc, Permanent):
            outcome.auth_failure = exc.auth
        elif isinstance(exc, AuthError):
            outcome.auth_failure = True
        elif isinstance(exc, Cancelled):
            outcome.error = "cancelled"
        elif isinstance(exc, requests.RequestException):  # an OSError too, but not a local one
            outcome.error = f"network error talking to the collection: {describe(exc)}"
        elif isinstance(exc, OSError):
            outcome.error = f"cannot read {item.source.path}: {exc.strerror or exc}"
        # other GlobusputErrors: a Transfer failure while making this file's folder
        return outcome

    def _upload(self, item: PlannedUpload, check_size: bool, may_defer: bool) -> tuple[str, int]:
        folder = item.folder
        if (
            self.make_folders
            and item.source.size > PROBE_LIMIT
            and not self.collection.folder_known(folder)
        ):
            if may_defer:
                raise FolderPending(folder)
            self.collection.make_folder(folder)
        renames = self.placement.renames(item)
        target_path = self.placement.temporary_path(item) if renames else item.remote_path
        target_url = url_for(item.base_url, target_path)
        partial: list[bool] = []  # set when an attempt may have left a truncated file
        try:
            sha256, attempts = self._put_with_retries(
                item, target_url, partial, check_size, may_defer
            )
            if renames:
                self.placement.move_into_place(item, target_path, self._discard)
        except PlacementFailed as exc:
            self._discard(target_url)
            if exc.auth and not self.collection.filesystem_ops:
                return self._upload(item, check_size, False)  # rename refused: in place
            raise Permanent(str(exc), auth=exc.auth) from None
        except BaseException:
            # never leave a truncated file under a name: the temporary one always goes, the
            # final one when an interrupted attempt may have cut it short
            if renames or any(partial):
                self._discard(target_url)
            raise
        return sha256, attempts

    def _put_with_retries(
        self,
        item: PlannedUpload,
        url: str,
        partial: list[bool],
        check_size: bool,
        may_defer: bool,
    ) -> tuple[str, int]:
        retry = self.retry_policy()
        renewed = folder_checked = False
        attempts = 0
        while True:
            if self.cancel.is_set():
                raise Cancelled
            attempts += 1
            started = time.time()
            try:
                sha256 = self._attempt(item, url, partial, check_size)
                self.collection.note_folder(item.folder)
                return sha256, attempts
            except (Unauthorized, Permanent, Retryable) as caught:
                exc: Permanent | Retryable | Unauthorized = caught
                if isinstance(exc, Unauthorized):
                    if not renewed and self.authorizer.renew(exc.generation, exc.status):
                        renewed = True
                        self.debug(f"{item.source.path}: token refused ({exc.status}), renewed")
                        continue
                    exc = exc.final
                if not folder_checked and exc.status in FOLDER_HINTS:
                    folder_checked = True  # once: a folder made now stays made
                    folder = item.folder
                    if may_defer and self.make_folders and not self.collection.folder_known(folder):
                        raise FolderPending(folder, exc) from None
                    if self._made_missing_folder(item):
                        continue
                if isinstance(exc, Permanent):
                    raise exc from None
                if self.cancel.is_set():
                    raise Cancelled from None
                if exc.unknown_outcome and self._stored_already(item, url, started):
                    return sha256_of(item.source.path), attempts
                note = f"{item.source.path}: attempt {attempts + 1}"
                retry = self.pause(retry, exc, "PUT", url, note)

    def _made_missing_folder(self, item: PlannedUpload) -> bool:
        """After an answer that may mean "no such folder": True if this run had to make it
        (now, or while this PUT was on its way), so the PUT is worth repeating at once."""
        folder = item.folder
        if not self.make_folders:
            return False
        state = self.collection.make_folder(folder)
        if state == "created":
            self.debug(f"{item.source.path}: folder {folder}/ was missing and is made; resending")
            return True
        if state == "existed" and self.folder_is_a_file(folder):
            raise file_in_the_way(folder)
        return False

    def folder_is_a_file(self, folder: str) -> bool:
        """Transfer says the folder exists, yet a PUT found none: a file of that name?
        Asked once per folder."""
        if folder not in self._file_not_folder:
            entry = self.collection.stat(folder)
            self._file_not_folder[folder] = entry is not None and entry.get("type") == "file"
        return self._file_not_folder[folder]

    def _attempt(self, item: PlannedUpload, url: str, partial: list[bool], check_size: bool) -> str:
        with open(item.source.path, "rb") as stream:
            body = HashingReader(
                stream,
                item.source.size,
                self.cancel,
                lambda amount: self.progress.advance(item, amount),
            )
            try:
                return self._send(item, url, partial, body, check_size)
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

    def _send(
        self,
        item: PlannedUpload,
        url: str,
        partial: list[bool],
        body: HashingReader,
        check_size: bool,
    ) -> str:
        size = item.source.size
        try:
            response, generation = self._request("PUT", url, body)
        except FileChanged as exc:
            partial.append(True)
            raise Permanent(f"{item.source.path} changed while uploading: {exc}") from None
        except Cancelled:
            partial.append(body.sent > 0)
            raise
        except requests.RequestException as exc:
            partial.append(body.sent > 0)
            if self.cancel.is_set():
                raise Cancelled from None
            if body.read_error is not None:
                reason = body.read_error.strerror or body.read_error
                raise Permanent(f"cannot read {item.source.path}: {reason}") from None
            if "certificate verify failed" in str(exc).lower():
                raise Permanent(
                    f"TLS verification of {item.base_url} failed: if the collection uses "
                    "a private CA, point GLOBUS_SDK_VERIFY_SSL or REQUESTS_CA_BUNDLE at "
                    "its certificate bundle"
                ) from None
            raise Retryable(describe(exc), unknown_outcome=body.sent == size) from None
        try:
            body.finish()
        except FileChanged as exc:
            partial.append(True)
            raise Permanent(f"{item.source.path} changed while uploading: {exc}") from None
        judge(item, response, generation, self.identity, self.collection.id)
        if check_size:
            self._verify(item, url)
        return body.hexdigest()

    def _verify(self, item: PlannedUpload, url: str) -> None:
        size = self._remote_size(item, url)[0]
        if size is None:
            raise Retryable("the stored file could not be found right after the upload")
        if size != item.source.size:
            raise Retryable(f"stored size {size} differs from local size {item.source.size}")

    def stored_size_problem(self, item: PlannedUpload) -> str | None:
        """None when the server holds ``item`` at its local size, else what is wrong."""
        try:
            self._verify(item, item.url)
        except Retryable as exc:
            return str(exc)
        return None

    def _stored_already(self, item: PlannedUpload, url: str, started: float) -> bool:
        """After an unknown outcome: is this very upload already there? Then do not resend."""
        try:
            size, modified = self._remote_size(item, url)
        except Retryable:
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
            raise Retryable(describe(exc)) from None
        if response.status_code == 404:
            return None, None
        if response.status_code != 200:
            raise Retryable(f"checking the stored size answered {response.status_code}")
        if "Content-Length" not in response.headers:
            return self._listed_size(item, url)  # a HEAD need not say: Transfer's listing does
        modified = response.headers.get("Last-Modified")
        parsed = email.utils.parsedate_to_datetime(modified).timestamp() if modified else None
        return int(response.headers["Content-Length"]), parsed

    def _listed_size(self, item: PlannedUpload, url: str) -> tuple[int | None, float | None]:
        path = unquote(url[len(item.base_url.rstrip("/")) :])
        folder, name = posixpath.split(path)
        try:
            entry = (self.collection.listing(folder) or {}).get(name)
        except GlobusputError as exc:
            raise Retryable(f"the stored size could not be read: {exc}") from None
        return (entry.size, entry.modified) if entry is not None else (None, None)

    def _discard(self, url: str) -> None:
        try:
            self._request("DELETE", url)
        except (requests.RequestException, AuthError):
            self.debug(f"could not remove {url}")


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(BLOCK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
