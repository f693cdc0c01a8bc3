"""What the collection holds after a PUT: the stored file's size (and age), read back.

A HEAD to the HTTPS server answers for one file; where it does not say the size, Transfer's
listing of the folder does. Used to prove each upload arrived whole, and, after an error that
left the outcome unknown, to see whether this very upload is stored already.
"""

from __future__ import annotations

import email.utils
import posixpath
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import unquote

import requests

from globusput.channel import describe
from globusput.errors import GlobusputError, Retryable
from globusput.remote import RemoteEntry

if TYPE_CHECKING:
    from globusput.channel import Channel
    from globusput.collection import Collection
    from globusput.plans import PlannedUpload

#: Local and server clocks may differ this much when judging a stored copy's age.
CLOCK_SLACK = 60.0
#: HEAD answers that say "not here" of the method rather than of the file (Globus documents
#: only uploads and downloads): a redirect to a login page, refused, not allowed, not built.
NO_HEAD = frozenset({301, 302, 303, 307, 308, 400, 403, 405, 501})


class ReadBack:
    def __init__(self, channel: Channel, collection: Collection) -> None:
        self.channel = channel
        self.collection = collection
        self.head = True  #: until the server shows it does not answer HEAD
        self._probed = False  #: one HEAD answered: the others need not wait for it
        self._probe = threading.Lock()
        #: folders where nothing can read a size back (no HEAD, and Transfer refuses to list
        #: them): their files stand unchecked, and the run says so once
        self.unchecked: set[str] = set()
        #: the latest listing made here: its folder, when it was asked for, its entries (one
        #: kept, not one per folder: a listing may be large)
        self._latest: tuple[str, float, dict[str, RemoteEntry]] | None = None

    def check(self, item: PlannedUpload, url: str) -> None:
        """Raise :class:`Retryable` unless the server holds ``url`` at the local size (when
        nothing can tell the size, the run says so once, and its files stand unchecked)."""
        size = self.stored(item, url)[0]
        path = unquote(url[len(item.base_url.rstrip("/")) :])
        blind = not self.collection.allowed("ls", item.folder)
        if size is None and not self.head and blind and not self.collection.allowed("stat", path):
            self.unchecked.add(item.folder)
            return
        if size is None:
            raise Retryable("the stored file could not be found right after the upload")
        if size != item.source.size:
            raise Retryable(f"stored size {size} differs from local size {item.source.size}")

    def problem(self, item: PlannedUpload) -> str | None:
        """None when the server holds ``item`` at its local size, else what is wrong."""
        try:
            self.check(item, item.url)
        except Retryable as exc:
            return str(exc)
        return None

    def entry(self, item: PlannedUpload) -> RemoteEntry | None:
        """What is stored at ``item``'s place, file by file, where no listing says it (one
        HEAD, or Transfer's stat); None when nothing is, or it cannot be told."""
        try:
            size, modified = self.stored(item, item.url)
        except Retryable:
            return None
        return RemoteEntry(True, size, modified) if size is not None else None

    def already(self, item: PlannedUpload, url: str, started: float) -> bool:
        """After an unknown outcome: is this very upload already there? Then do not resend."""
        try:
            size, modified = self.stored(item, url)
        except Retryable:
            return False
        fresh = modified is not None and modified >= started - CLOCK_SLACK
        if size == item.source.size and fresh:
            self.channel.debug(
                f"{item.source.path}: stored despite the error, not sending it again"
            )
            return True
        return False

    def stored(self, item: PlannedUpload, url: str) -> tuple[int | None, float | None]:
        """Size and modification time of the stored file by HEAD (None, None when absent);
        once HEAD proves unsupported, by the folder's listing alone. Until one HEAD has been
        answered, threads ask one at a time: a server without HEAD costs one probe."""
        if self._probed:
            return self._by_head(item, url) if self.head else self._listed(item, url)
        with self._probe:
            found = self._by_head(item, url) if self.head else self._listed(item, url)
            self._probed = True
            return found

    def listed_since(self, folder: str, since: float) -> dict[str, RemoteEntry] | None:
        """The folder's listing made here if it was asked for after ``since`` (when the files
        it is to tell about were stored), else None: a check need not list twice."""
        latest = self._latest
        return latest[2] if latest and latest[0] == folder and latest[1] >= since else None

    def _by_head(self, item: PlannedUpload, url: str) -> tuple[int | None, float | None]:
        try:
            response, _ = self.channel.request("HEAD", url)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Retryable(describe(exc)) from None
        if response.status_code == 404:
            return None, None
        if response.status_code in NO_HEAD:
            self.head = False
            self.channel.debug(
                f"HEAD answered {response.status_code}: stored sizes are read from Transfer's "
                "listing from now on"
            )
            return self._listed(item, url)
        if response.status_code != 200:
            raise Retryable(f"checking the stored size answered {response.status_code}")
        if "Content-Length" not in response.headers:
            return self._listed(item, url)  # a HEAD need not say: Transfer's listing does
        modified = response.headers.get("Last-Modified")
        parsed = email.utils.parsedate_to_datetime(modified).timestamp() if modified else None
        return int(response.headers["Content-Length"]), parsed

    def _listed(self, item: PlannedUpload, url: str) -> tuple[int | None, float | None]:
        """From the folder's listing; where Transfer will not list it (refused, or over its
        listing limit), from Transfer's stat of the file alone."""
        path = unquote(url[len(item.base_url.rstrip("/")) :])
        folder, name = posixpath.split(path)
        try:
            asked = time.monotonic()
            listing = self.collection.listing(folder)
            if listing is not None:
                self._latest = (folder, asked, listing)
            if listing is not None or self.collection.allowed("ls", folder):
                entry = (listing or {}).get(name)
            else:
                found = self.collection.stat(path)
                entry = RemoteEntry.from_listing(found) if found is not None else None
        except GlobusputError as exc:
            raise Retryable(f"the stored size could not be read: {exc}") from None
        if entry is None or not entry.is_file:
            return None, None
        return entry.size, entry.modified
