"""A run of files, in either direction, over the one worker pool.

Transfer calls are slow (relayed to the collection's server) and rate-limited, so whatever can
be learnt from one listing of a folder is learnt that way: which stored files an
``--overwrite`` policy keeps, and whether every file of a busy folder arrived whole. Files in
quiet folders are checked by a HEAD to the HTTPS server instead, which is cheaper for a few.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

from globusput.body import sha256_of
from globusput.collection import TRANSFER_THREADS
from globusput.errors import FolderPending
from globusput.estimates import heads_sooner, list_early
from globusput.outcomes import Outcome, settle
from globusput.pacing import Lead
from globusput.plans import (
    KEPT_BY,
    Listings,
    PlannedDownload,
    PlannedUpload,
    keep_stored,
    listed_folders,
    stored_entry,
    upload_order,
)
from globusput.pool import Pool
from globusput.summary import show

if TYPE_CHECKING:
    from globusput.download import Downloader
    from globusput.remote import RemoteEntry
    from globusput.report import Reporter
    from globusput.upload import Uploader


Uploaded = Outcome[PlannedUpload]


def download_all(
    plan: list[PlannedDownload],
    downloader: Downloader,
    concurrency: int,
    reporter: Reporter,
    keep: bool,
) -> tuple[list[Outcome[PlannedDownload]], int]:
    """Fetch (``keep``) or only hash every planned file; the signal that stopped the run."""
    pool = Pool(plan, concurrency, downloader.cancel)

    def work(index: int) -> None:
        pool.finish(index, downloader.fetch(plan[index], keep))

    def line(outcome: Outcome[PlannedDownload]) -> None:
        if keep:
            show(reporter, outcome)

    title = f"{'Fetching' if keep else 'Hashing'} {len(plan)} files"
    results, signum = pool.run(lambda: (range(len(plan)), []), work, reporter, title, line)
    return settle(plan, results), signum


class Uploads:
    """One run's uploads (``listings``: what a resumed staging folder holds, read already);
    SIGINT/SIGTERM stop the workers and leave a complete account. ``run()`` returns every
    outcome and the signal that stopped the run."""

    def __init__(
        self,
        plan: Sequence[PlannedUpload],
        uploader: Uploader,
        *,
        concurrency: int,
        reporter: Reporter,
        check_sizes: bool,
        overwrite: str,
        listings: Listings | None = None,
    ) -> None:
        self.plan = list(plan)
        self.uploader = uploader
        self.folders = uploader.folders
        self.collection = uploader.collection
        self.pool = Pool(self.plan, concurrency, uploader.cancel)
        self.reporter = reporter
        self.check_sizes = check_sizes
        self.overwrite = overwrite
        self.listings = listings
        self._lock = threading.Lock()
        self._left: dict[str, int] = {}  #: files still to finish, per listed folder
        self._waiting: dict[str, list[tuple[int, Uploaded]]] = {}
        self._deferred: set[int] = set()  #: files that stepped aside for their folder once
        self._checks = ThreadPoolExecutor(TRANSFER_THREADS, thread_name_prefix="check")
        self._listed: list[float] = []  #: seconds each folder's listing took, this run
        self._checking = 0  #: files whose folder is being checked
        self._early: set[str] = set()  #: folders listed before their last files were done
        self._lead = Lead()

    def run(self) -> tuple[list[Uploaded], int]:
        title = f"Uploading {len(self.plan)} file{'s' if len(self.plan) != 1 else ''}"
        try:
            results, signum = self.pool.run(
                self._start, self._work, self.reporter, title, lambda o: show(self.reporter, o)
            )
        finally:
            self.folders.close()
            self._checks.shutdown(wait=True, cancel_futures=True)
        with self._lock:  # interrupted before their folder was listed: stored, not checked
            for waiting in self._waiting.values():
                for index, outcome in waiting:
                    results.setdefault(index, outcome)
        return settle(self.plan, results), signum

    # -- before: what is kept, how each file will be checked -------------------------------
    def _start(self) -> tuple[list[int], list[tuple[int, Uploaded]]]:
        kept: list[tuple[int, Uploaded]] = []
        todo = self._skip_kept(kept)
        if self.check_sizes:  # busy folders: one listing each, once their last file is done
            self._left = listed_folders(self.plan[index] for index in todo)
        return todo, kept

    def _skip_kept(self, kept: list[tuple[int, Uploaded]]) -> list[int]:
        """The files to send, smallest per folder first; the kept ones go to ``kept``."""
        listings = self.listings
        if self.overwrite != "always" and listings is None:
            listings = self.collection.listings({i.folder for i in self.plan})
        todo: list[int] = []
        for index in upload_order(self.plan):
            item = self.plan[index]
            stored = stored_entry(listings, item)
            if self._unlisted(listings, item):  # refused, or over the listing limit
                stored = self.uploader.readback.entry(item)
            try:
                if not keep_stored(self.overwrite, item.source, stored):
                    todo.append(index)
                    continue
                sha256 = sha256_of(item.source.path)
                outcome = Outcome(item, "skipped", sha256, checked=KEPT_BY[self.overwrite])
            except OSError as exc:  # gone or unreadable since it was selected: this file only
                outcome = self.uploader.failed(item, exc)
            self.reporter.progress.done(item)
            kept.append((index, outcome))
        return todo

    def _unlisted(self, listings: Listings | None, item: PlannedUpload) -> bool:
        """Whether ``item``'s folder needed a listing that Transfer would not give."""
        return (
            self.overwrite in ("never", "changed")
            and (listings or {}).get(item.folder) is None
            and not self.collection.allowed("ls", item.folder)
        )

    # -- during: one file on a worker ----------------------------------------------------
    def _work(self, index: int) -> None:
        item = self.plan[index]
        may_defer = index not in self._deferred
        # the folder's first file finds out whether it exists, the others wait for its answer
        # (not a refused PUT each); asked before ``waiting``: that first file has the folder's
        # making under way before it answers
        answer = self.folders.first_of(item.folder, index) if may_defer else None
        if answer is not None:
            answer.add_done_callback(lambda _: self.pool.again(index))
            return
        if may_defer and self.folders.waiting(item.folder):
            self._step_aside(index, FolderPending(item.folder))
            return
        check_size = self.check_sizes and item.folder not in self._left
        try:
            outcome = self.uploader.upload(item, check_size, may_defer)
        except FolderPending as pending:
            self._step_aside(index, pending)
            return
        finally:
            self.folders.answered(item.folder, index)
        self._complete(index, outcome)

    def _step_aside(self, index: int, pending: FolderPending) -> None:
        """The file waits while its folder is made, then goes again (never aside twice)."""
        self._deferred.add(index)

        def fail(exc: Exception) -> None:
            self.uploader.progress.done(self.plan[index])
            self._complete(index, self.uploader.failed(self.plan[index], exc))

        self.folders.then(pending, lambda: self.pool.again(index), fail)

    # -- after: one listing per busy folder ---------------------------------------------------
    def _complete(self, index: int, outcome: Uploaded) -> None:
        """A file is done; a listed folder's files are checked together on a Transfer thread."""
        folder = outcome.item.folder
        with self._lock:
            if folder not in self._left:
                self.pool.finish(index, outcome)
                return
            self._waiting.setdefault(folder, []).append((index, outcome))
            self._left[folder] -= 1
            if self.uploader.cancel.is_set():
                return
            if self._left[folder] and not self._list_early(folder):
                return
            finished = self._waiting.pop(folder)
            self._checking += len(finished)

        def check() -> None:
            for checked in self._check_folder(folder, finished):
                self.pool.finish(*checked)
            with self._lock:
                self._checking -= len(finished)

        self.pool.aside(self._checks, check)

    def _check_folder(
        self, folder: str, finished: list[tuple[int, Uploaded]]
    ) -> list[tuple[int, Uploaded]]:
        """One listing for the folder (or HEADs, see :mod:`globusput.estimates`); a file missing
        or of the wrong size is sent again."""
        uploaded = [n for n, (_, o) in enumerate(finished) if o.status == "uploaded"]
        if not uploaded:
            return finished
        started = time.monotonic()  # every file of ``finished`` is stored by now
        with self._lock:  # nothing is left to send, only folders to check
            last = self.pool.pending() <= self._checking
        checked, todo, entries = [], finished, None
        timings = self._timings([finished[n][1] for n in uploaded])
        heads = last and heads_sooner(len(uploaded), *timings, self.pool.concurrency)
        if heads:  # the first HEAD alone: a server that answers none is listed after all
            checked.append(self._recheck(None, finished[uploaded[0]]))
            todo = finished[: uploaded[0]] + finished[uploaded[0] + 1 :]
        if not (heads and self.uploader.readback.head):  # that probe's listing, if it made one
            entries = self.uploader.readback.listed_since(folder, started)
            entries = self._listing(folder) if entries is None else entries
        threads = self.pool.concurrency if last else 1  # beside the workers: one at a time
        with ThreadPoolExecutor(threads, thread_name_prefix="head") as pool:
            return checked + list(pool.map(partial(self._recheck, entries), todo))

    def _listing(self, folder: str) -> dict[str, RemoteEntry] | None:
        """The folder's listing, timed, after the run's first (:class:`Lead`); None when
        Transfer fails (files checked by HEAD)."""
        started = time.monotonic()
        try:
            entries = self._lead(lambda: self.collection.listing(folder))
        except Exception as exc:  # a Transfer failure: check these files one by one
            self.reporter.debug(f"listing {folder}/ failed ({exc}); checking files by HEAD")
            return None
        self._listed.append(time.monotonic() - started)
        return entries

    def _timings(self, outcomes: Sequence[Uploaded]) -> tuple[float, float | None]:
        """The median PUT of ``outcomes`` and the median listing of this run (None: none)."""
        put = statistics.median(o.seconds for o in outcomes)
        return put, statistics.median(self._listed) if self._listed else None

    def _list_early(self, folder: str) -> bool:
        """Whether ``folder``, whose files are all that is left to send, is listed now for its
        files done (once; the rest are checked when done). Called under the lock."""
        sending = self.pool.pending() - self._checking - sum(map(len, self._waiting.values()))
        if folder in self._early or sending != self._left[folder]:
            return False
        done = self._waiting[folder]  # a PUT's time from the latest 64: asked at each completion
        timings = self._timings([outcome for _, outcome in done[-64:]])
        if not list_early(len(done), sending, *timings, self.pool.concurrency):
            return False
        self._early.add(folder)
        return True

    def _recheck(
        self, entries: dict[str, RemoteEntry] | None, finished: tuple[int, Uploaded]
    ) -> tuple[int, Uploaded]:
        """One file after its folder's check: kept, or sent again (``entries`` None: its
        stored size is read back by HEAD first)."""
        index, outcome = finished
        if outcome.status != "uploaded":
            return finished
        stored = (entries or {}).get(outcome.item.name)
        if entries is None or stored is None or stored.size != outcome.item.source.size:
            if entries is not None:
                size = "missing" if stored is None else f"{stored.size} bytes"
                self.reporter.debug(
                    f"{outcome.item.source.path}: listed as {size}, sending it again"
                )
            outcome = self._again(outcome, check_only=entries is None)
        return index, outcome

    def _again(self, outcome: Uploaded, check_only: bool) -> Uploaded:
        item = outcome.item
        if check_only:
            problem = self.uploader.readback.problem(item)
            if problem is None:
                return outcome
            self.reporter.debug(f"{item.source.path}: {problem}, sending it again")
        retried = self.uploader.upload(item, check_size=True)
        retried.attempts += outcome.attempts
        retried.seconds += outcome.seconds
        return retried
