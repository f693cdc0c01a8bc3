"""Moving bytes up: one file's streamed, hashed PUT, with retries and a read-back of its size.

What each answer means is the channel's to say; a stored size that differs from the local one
is a failure too. Transient faults are retried, re-reading the file from disk each time. An
answer that may mean "no such folder" is the folders' owner's to act on; the file is then sent
again. No attempt leaves a truncated file under a name.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from globusput.body import HashingReader, sha256_of
from globusput.channel import FOLDER_HINTS, Channel, describe, failure
from globusput.errors import (
    Cancelled,
    FileChanged,
    GlobusputError,
    Permanent,
    PlacementFailed,
    Retryable,
    Unauthorized,
)
from globusput.folders import Folders
from globusput.outcomes import Outcome
from globusput.paths import url_for
from globusput.placement import Placement
from globusput.plans import PlannedUpload
from globusput.readback import ReadBack


class Uploader(Channel):
    """Uploads one planned file at a time; safe to call from many threads at once."""

    def __init__(self, *, placement: Placement, folders: Folders, **channel: Any) -> None:
        super().__init__(**channel)
        self.placement = placement
        self.folders = folders
        self.collection = folders.collection
        self.readback = ReadBack(self, self.collection)
        self.leftovers: list[str] = []  #: URLs of partial files DELETE did not remove

    def upload(
        self, item: PlannedUpload, check_size: bool, may_defer: bool = False
    ) -> Outcome[PlannedUpload]:
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
    def failed(item: PlannedUpload, exc: Exception) -> Outcome[PlannedUpload]:
        return failure(item, exc, f"cannot read {item.source.path}")

    def _upload(self, item: PlannedUpload, check_size: bool, may_defer: bool) -> tuple[str, int]:
        self.folders.before_put(item.folder, item.source.size, may_defer)
        renames = self.placement.renames(item)
        target_path = self.placement.temporary_path(item) if renames else item.path
        target_url = url_for(item.base_url, target_path)
        partial: list[bool] = []  # set when an attempt may have left a truncated file
        try:
            sha256, attempts = self._put_with_retries(
                item, target_url, partial, check_size, may_defer
            )
            if renames:
                self.placement.move_into_place(item, target_path, self.discard)
        except PlacementFailed as exc:
            self.discard(target_url)
            if exc.auth and not self.collection.allowed("rename", item.folder):
                return self._upload(item, check_size, False)  # rename refused: in place
            raise Permanent(str(exc), auth=exc.auth) from None
        except BaseException:
            # never leave a truncated file under a name: the temporary one always goes, the
            # final one when an interrupted attempt may have cut it short
            if renames or any(partial):
                self.discard(target_url)
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
                self.folders.note(item.folder)
                return sha256, attempts
            except (Unauthorized, Permanent, Retryable) as caught:
                exc: Permanent | Retryable | Unauthorized = caught
                if isinstance(exc, Unauthorized):
                    if self.renewed(exc, renewed):
                        renewed = True
                        self.debug(f"{item.source.path}: token refused ({exc.status}), renewed")
                        continue
                    exc = exc.final
                if not folder_checked and exc.status in FOLDER_HINTS:
                    folder_checked = True  # once: a folder made now stays made
                    if self.folders.resend_after(item.folder, exc, may_defer):
                        self.debug(
                            f"{item.source.path}: folder {item.folder}/ was missing and is "
                            "made; resending"
                        )
                        continue
                if isinstance(exc, Permanent):
                    raise exc from None
                if self.cancel.is_set():
                    raise Cancelled from None
                if exc.unknown_outcome and self.readback.already(item, url, started):
                    return sha256_of(item.source.path), attempts
                note = f"{item.source.path}: attempt {attempts + 1}"
                retry = self.pause(retry, exc, "PUT", url, note)

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

    def _send(
        self,
        item: PlannedUpload,
        url: str,
        partial: list[bool],
        body: HashingReader,
        check_size: bool,
    ) -> str:
        try:
            response, generation = self.request("PUT", url, data=body, size=item.source.size)
        except FileChanged as exc:
            partial.append(True)
            raise Permanent(f"{item.source.path} changed while uploading: {exc}") from None
        except Cancelled:
            partial.append(body.sent > 0)
            raise
        except requests.RequestException as exc:
            partial.append(body.sent > 0)
            raise self._unsent(item, body, exc) from None
        try:
            body.finish()
        except FileChanged as exc:
            partial.append(True)
            raise Permanent(f"{item.source.path} changed while uploading: {exc}") from None
        self.judge("PUT", response, generation, item)
        if check_size:
            self.readback.check(item, url)
        return body.hexdigest()

    def _unsent(
        self, item: PlannedUpload, body: HashingReader, exc: requests.RequestException
    ) -> Exception:
        """What a PUT that got no answer means: cancelled, a local read error, a TLS trust
        problem (final), or a network fault (worth another try)."""
        if self.cancel.is_set():
            return Cancelled()
        if body.read_error is not None:
            reason = body.read_error.strerror or body.read_error
            return Permanent(f"cannot read {item.source.path}: {reason}")
        if "certificate verify failed" in str(exc).lower():
            return Permanent(
                f"TLS verification of {item.base_url} failed: if the collection uses "
                "a private CA, point GLOBUS_SDK_VERIFY_SSL or REQUESTS_CA_BUNDLE at "
                "its certificate bundle"
            )
        return Retryable(describe(exc), unknown_outcome=body.sent == item.source.size)

    def discard(self, url: str) -> None:
        """Remove what an attempt left (a temporary or truncated file). DELETE is not
        promised by Globus: what it does not remove is kept in :attr:`leftovers`, to be named
        in the log, the summary and the manifest."""
        try:
            response, _ = self.request("DELETE", url)
            gone = response.status_code in (200, 202, 204, 404)
        except (requests.RequestException, GlobusputError):
            gone = False
        if not gone:
            self.debug(f"could not remove {url}")
            self.leftovers.append(url)
