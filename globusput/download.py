"""Moving bytes down: one file's streamed, hashed GET, resumed where a broken attempt stopped.

The file grows under a hidden temporary name beside its final one and is moved into place only
when it is whole: the size Transfer listed (or the server's length) reached, and the SHA-256 a
manifest recorded matched. A broken answer is asked again from the first missing byte
(``Range``); a server that does not honour the range is read again from the start. Memory stays
flat: blocks go from the socket to the file and the hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from typing import IO, Any

import requests

from globusput.channel import STEP_UP, Channel, describe, failure
from globusput.errors import (
    Cancelled,
    GlobusputError,
    Mismatch,
    Permanent,
    Restart,
    Retryable,
    Unauthorized,
)
from globusput.landing import keeps, local_file, make_folders
from globusput.outcomes import Outcome
from globusput.paths import hidden_sibling
from globusput.plans import PlannedDownload
from globusput.session import MIN_RATE

#: Reads from the socket: a broken answer loses at most one (urllib3 keeps a partial read).
READ_SIZE = 256 << 10
#: Copies started over (another part than asked for came, or none fitted) before giving up.
MAX_RESTARTS = 3
Fetched = Outcome[PlannedDownload]


class Downloader(Channel):
    """Fetches one planned file at a time; safe to call from many threads at once. What is
    at a file's local place already is :mod:`globusput.landing`'s to judge."""

    def __init__(self, *, overwrite: str = "always", **channel: Any) -> None:
        super().__init__(**channel)
        self.overwrite = overwrite

    def fetch(self, item: PlannedDownload, keep: bool = True) -> Fetched:
        """Download ``item`` to its local path; with ``keep`` False only hash what the server
        holds (``verify --hash``), writing nothing."""
        try:
            there = local_file(item) if keep else None
            kept = keeps(item, there, self.overwrite) if there is not None else None
            if kept is not None:
                self.progress.done(item)
                return kept
            if keep:
                sha256, size = self._to_file(item)
            else:
                sha256, size = self._get(item, None)
            outcome = Fetched(item, "fetched" if keep else "checked", sha256, size=size)
            outcome.replaced = there is not None
        except (Permanent, GlobusputError, Cancelled, OSError) as exc:
            outcome = failure(item, exc, f"cannot write {item.local}")
        self.progress.done(item)
        return outcome

    def _to_file(self, item: PlannedDownload) -> tuple[str, int]:
        make_folders(item)
        if item.local.is_dir():
            raise Permanent(f"{item.local} is a folder: remove it or fetch into another folder")
        temp = item.local.with_name(
            hidden_sibling(item.local.name, f".globusput-{os.urandom(4).hex()}.part")
        )
        try:
            with open(temp, "w+b") as out:
                sha256, size = self._get(item, out)
            if item.modified is not None:
                os.utime(temp, (item.modified, item.modified))
            os.replace(temp, item.local)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return sha256, size

    def _get(self, item: PlannedDownload, out: IO[bytes] | None) -> tuple[str, int]:
        """Attempts until the whole file is here; the hash runs over the bytes in order,
        across resumed attempts. A recorded SHA-256 that does not match after a resumed copy
        earns one fresh copy from the start (the file may have changed between attempts)."""
        retry = self.retry_policy()
        copy = _Copy(out)
        renewed = fresh_copy = False
        restarts = 0
        while True:
            if self.cancel.is_set():
                raise Cancelled
            try:
                self._attempt(item, copy)
            except Restart:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise Permanent(
                        "the server's answers to ranges did not fit together (the file may be "
                        "changing on the collection): fetch it again later"
                    ) from None
                self.progress.advance(item, -copy.received)
                copy.restart()
                continue
            except Unauthorized as exc:
                if self.renewed(exc, renewed):
                    renewed = True
                    continue
                raise exc.final from None
            except Retryable as exc:
                note = f"{item.path}: again from byte {copy.received}"
                retry = self.pause(retry, exc, "GET", item.url, note)
                continue
            sha256 = copy.digest.hexdigest()
            if item.sha256 is None or sha256 == item.sha256:
                return sha256, copy.received
            if not copy.resumed or fresh_copy:
                raise Mismatch(
                    f"SHA-256 of the copy is {sha256}, the manifest recorded {item.sha256}: "
                    "the file on the collection is not the one the manifest describes"
                )
            fresh_copy = True
            self.debug(f"{item.path}: SHA-256 differs after a resumed copy; from the start")
            self.progress.advance(item, -copy.received)
            copy.restart()

    def _attempt(self, item: PlannedDownload, copy: _Copy) -> None:
        """One GET, from the first byte not yet held, within its deadline (the listed size
        at the slowest rate allowed; extended when only the answer says the size)."""
        headers = {"Range": f"bytes={copy.received}-"} if copy.received else {}
        try:
            with self.limit(max(0, (item.size or 0) - copy.received)) as bound:
                response, generation = self.request("GET", item.url, headers=headers, stream=True)
                with response:
                    total = self._judge(item, response, generation)
                    if item.size is None and total is not None:
                        bound.extend((total - copy.received) / MIN_RATE)
                    self._read(item, copy, response, total)
        except requests.RequestException as exc:
            raise Retryable(describe(exc)) from None
        if total is not None and copy.received != total:
            if copy.received > total:
                raise Restart
            raise Retryable(f"the answer ended after {copy.received} of {total} bytes")

    def _read(
        self, item: PlannedDownload, copy: _Copy, response: requests.Response, total: int | None
    ) -> None:
        """The answer's body into the copy, never past the listed (or announced) size."""
        first = _first_byte(response)
        if copy.received and first != copy.received:
            if first != 0:
                raise Restart  # another part than asked: ask for the whole file
            self.progress.advance(item, -copy.received)  # the whole file came instead:
            copy.restart()  # the copy starts over with it
        copy.resumed = copy.resumed or response.status_code == 206
        limit = item.size if item.size is not None else total
        for block in response.iter_content(READ_SIZE):
            if self.cancel.is_set():
                raise Cancelled
            if limit is not None and copy.received + len(block) > limit:
                said = "listed" if item.size is not None else "announced"
                raise Permanent(
                    f"the server sent more than the {limit} bytes it {said} for "
                    f"{item.path}: refused, nothing kept"
                )
            copy.add(block)
            self.progress.advance(item, len(block))

    def _judge(
        self, item: PlannedDownload, response: requests.Response, generation: int
    ) -> int | None:
        """The file's full size when the answer carries it, or raise what the answer means."""
        self.judge("GET", response, generation, item)
        if response.status_code not in (200, 206):
            raise Permanent(f"the server answered {response.status_code} {response.reason}")
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            raise Permanent(
                f"the server sent {item.path} {encoding}-encoded though asked for the bytes "
                "as stored: refused, as its size and SHA-256 could not be checked"
            )
        total = _full_size(response)
        html = "html" in response.headers.get("Content-Type", "").lower()
        # a login page is not the file: told by its size where the listing gave one, else by
        # the name (a page is what a .html file is meant to be); the body is not read to tell
        if item.size is not None:
            login_page = total != item.size
        else:
            login_page = not item.path.lower().endswith((".html", ".htm", ".xhtml"))
        if response.status_code == 200 and html and login_page:
            raise Permanent(
                "the server answered with an HTML page instead of the file: " + STEP_UP,
                auth=True,
            )
        if item.size is not None and total is not None and total != item.size:
            raise Permanent(
                f"the server offers {total} bytes of {item.path}, its listing said "
                f"{item.size}: the file changed on the collection (fetch it again) or the "
                "server is not telling the truth"
            )
        return total


class _Copy:
    """What one file's attempts have gathered so far: bytes held, their hash, where they go."""

    def __init__(self, out: IO[bytes] | None) -> None:
        self.out = out
        self.restart()

    def restart(self) -> None:
        self.digest = hashlib.sha256()
        self.received = 0
        self.resumed = False  #: some bytes came from a range request
        if self.out is not None:
            self.out.seek(0)
            self.out.truncate()

    def add(self, block: bytes) -> None:
        if self.out is not None:
            self.out.write(block)
        self.digest.update(block)
        self.received += len(block)


def _first_byte(response: requests.Response) -> int:
    if response.status_code != 206:
        return 0
    first = response.headers.get("Content-Range", "").removeprefix("bytes ").partition("-")[0]
    return int(first) if first.isdigit() else -1


def _full_size(response: requests.Response) -> int | None:
    """The whole file's size: from ``Content-Range`` on a 206, ``Content-Length`` on a 200."""
    if response.status_code == 206:
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None
