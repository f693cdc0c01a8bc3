"""Uploading a whole plan: concurrent workers, with the remote questions asked per folder.

Transfer calls are slow (relayed to the collection's server) and rate-limited, so whatever can
be learnt from one listing of a folder is learnt that way: which stored files an
``--overwrite`` policy keeps, and whether every file of a busy folder arrived whole. Files in
quiet folders are checked by a HEAD to the HTTPS server instead, which is cheaper for a few.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from globusput.collection import TRANSFER_THREADS
from globusput.layout import PlannedUpload, upload_order
from globusput.session import stopped_by_signals
from globusput.upload import FolderPending, Outcome, file_in_the_way, sha256_of

if TYPE_CHECKING:
    from globusput.collection import FolderState, RemoteEntry
    from globusput.report import Reporter
    from globusput.selection import LocalFile
    from globusput.upload import Uploader

#: A folder receiving at least this many files is checked by one listing instead of a HEAD
#: per file (one Transfer call against that many requests to the HTTPS server).
LIST_FROM = 8
#: Stored and local clocks may differ this much when ``changed`` compares ages.
MTIME_SLACK = 1.0

Listings = Mapping[str, "dict[str, RemoteEntry] | None"]


def keep_stored(policy: str, local: LocalFile, stored: RemoteEntry | None) -> bool:
    """``never``: keep any stored file; ``changed``: keep one of the same size, not older."""
    if stored is None or not stored.is_file or policy == "always":
        return False
    if policy == "never":
        return True
    local_mtime = os.stat(local.path).st_mtime
    fresh = stored.modified is not None and stored.modified + MTIME_SLACK >= local_mtime
    return stored.size == local.size and fresh


def stored_entry(listings: Listings | None, item: PlannedUpload) -> RemoteEntry | None:
    """What a folder listing says is stored at ``item``'s remote path, if it was listed."""
    return ((listings or {}).get(item.folder) or {}).get(item.name)


class Batch:
    """One run's uploads; SIGINT/SIGTERM stop the workers and leave a complete account."""

    def __init__(
        self,
        plan: Sequence[PlannedUpload],
        uploader: Uploader,
        *,
        concurrency: int,
        cancel: threading.Event,
        reporter: Reporter,
        check_sizes: bool,
        overwrite: str,
        listings: Listings | None = None,
    ) -> None:
        self.plan = list(plan)
        self.uploader = uploader
        self.collection = uploader.collection
        self.concurrency = concurrency
        self.cancel = cancel
        self.reporter = reporter
        self.check_sizes = check_sizes
        self.overwrite = overwrite
        self.listings = listings
        self._lock = threading.Lock()
        self._left: dict[str, int] = {}  #: files still to finish, per listed folder
        self._waiting: dict[str, list[tuple[int, Outcome]]] = {}
        self._making: dict[str, Future[FolderState]] = {}  #: folders asked of Transfer
        self._outstanding = 0  #: files not yet uploaded (or failed), deferred ones included
        self._checking = 0  #: folder checks under way

    def run(self) -> tuple[list[Outcome], int]:
        results: dict[int, Outcome] = {}
        done: queue.Queue[tuple[int, Outcome]] = queue.Queue()
        count = len(self.plan)
        title = f"Uploading {count} file{'s' if count != 1 else ''}"
        with stopped_by_signals(self.cancel) as received, self.reporter.files_section(title):
            todo = self._skip_kept(done)
            self._plan_checks(todo)
            self._work(todo, done, results)
        outcomes = [
            results.get(index) or Outcome(item, "failed", error="not attempted: interrupted")
            for index, item in enumerate(self.plan)
        ]
        for outcome in outcomes:
            if outcome.error == "cancelled":
                outcome.error = "interrupted before it finished"
        return outcomes, received[0] if received else 0

    # -- before: what is kept, how each file will be checked -------------------------------
    def _skip_kept(self, done: queue.Queue[tuple[int, Outcome]]) -> list[int]:
        """Queue the files to send, smallest per folder first; report the kept ones."""
        listings = self.listings
        if self.overwrite != "always" and listings is None:
            listings = self.collection.listings({i.folder for i in self.plan})
        todo: list[int] = []
        for index in upload_order(self.plan):
            item = self.plan[index]
            stored = stored_entry(listings, item)
            try:
                if not keep_stored(self.overwrite, item.source, stored):
                    todo.append(index)
                    continue
                outcome = Outcome(item, "skipped", sha256=sha256_of(item.source.path))
            except OSError as exc:  # gone or unreadable since it was selected: this file only
                outcome = self.uploader.failed(item, exc)
            self.reporter.progress.done(item)
            done.put((index, outcome))
        return todo

    def _plan_checks(self, todo: list[int]) -> None:
        """Busy folders are checked by one listing once their last file is done."""
        if not self.check_sizes or not self.collection.filesystem_ops:
            return
        counts: dict[str, int] = {}
        for index in todo:
            folder = self.plan[index].folder
            counts[folder] = counts.get(folder, 0) + 1
        self._left = {folder: n for folder, n in counts.items() if n >= LIST_FROM}

    # -- during ------------------------------------------------------------------------------
    def _work(
        self,
        indexes: list[int],
        done: queue.Queue[tuple[int, Outcome]],
        results: dict[int, Outcome],
    ) -> None:
        """Upload workers, plus a few threads for Transfer (folders, listings) so that no
        upload waits on a call that takes most of a second."""
        todo: queue.Queue[tuple[int, bool]] = queue.Queue()
        for index in indexes:
            todo.put((index, True))
        self._outstanding = len(indexes)
        transfer = ThreadPoolExecutor(TRANSFER_THREADS, thread_name_prefix="transfer")

        def worker() -> None:
            while not self.cancel.is_set():
                try:
                    index, may_defer = todo.get(timeout=0.1)
                except queue.Empty:
                    with self._lock:
                        if self._outstanding == 0:
                            return
                    continue
                item = self.plan[index]
                if may_defer and self._waits_for_folder(index, todo, transfer):
                    continue
                listed = item.folder in self._left
                check_size = self.check_sizes and not listed
                try:
                    outcome = self.uploader.upload(item, check_size, may_defer)
                except FolderPending as pending:
                    self._make_folder_then_retry(pending, index, todo, done, transfer)
                    continue
                except Exception as exc:  # a bug stays with its file: no lost worker, no hang
                    error = f"internal error ({type(exc).__name__}: {exc})"
                    outcome = Outcome(item, "failed", error=error)
                self._complete(index, outcome, done, transfer)

        # queues, not futures: waiting on thousands of futures costs O(n) per wake-up; Queue,
        # not SimpleQueue, whose get(timeout) was seen never to return with several readers
        workers = [
            threading.Thread(target=worker, name=f"put-{n}", daemon=True)
            for n in range(min(self.concurrency, len(indexes)))
        ]
        for thread in workers:
            thread.start()
        try:
            while len(results) < len(self.plan):
                try:
                    index, outcome = done.get(timeout=0.25)  # wakes up for signals, too
                except queue.Empty:
                    idle = not any(thread.is_alive() for thread in workers)
                    if idle and not self._checking and done.empty():
                        break
                    continue
                results[index] = outcome
                if outcome.error != "cancelled":
                    self.reporter.outcome(outcome)
        finally:
            for thread in workers:
                thread.join()
            transfer.shutdown(wait=True, cancel_futures=True)
        while not done.empty():
            index, outcome = done.get()
            results.setdefault(index, outcome)
        with self._lock:  # interrupted before their folder was listed: stored, not checked
            for waiting in self._waiting.values():
                for index, outcome in waiting:
                    results.setdefault(index, outcome)

    # -- folders: made by the Transfer threads while uploads go on elsewhere --------------
    def _waits_for_folder(
        self, index: int, todo: queue.Queue[tuple[int, bool]], pool: ThreadPoolExecutor
    ) -> bool:
        """A file whose folder is being made joins the files waiting for it."""
        folder = self.plan[index].folder
        with self._lock:
            making = self._making.get(folder)
            if making is None or making.done():
                return False
        self._make_folder_then_retry(FolderPending(folder), index, todo, None, pool)
        return True

    def _make_folder_then_retry(
        self,
        pending: FolderPending,
        index: int,
        todo: queue.Queue[tuple[int, bool]],
        done: queue.Queue[tuple[int, Outcome]] | None,
        pool: ThreadPoolExecutor,
    ) -> None:
        folder = pending.folder
        with self._lock:
            making = self._making.get(folder)
            if making is None:
                making = self._making[folder] = pool.submit(self.collection.make_folder, folder)

        def then(made: Future[FolderState]) -> None:
            """The folder was missing (or could not be made): send the file again. It was
            there all along: the PUT's failure was the answer. No more deferring either way:
            a failure to make the folder then lands on the file, with its message."""
            failed = made.exception() is not None  # the file's own try says why
            if pending.failure is None or failed or made.result() == "created" or done is None:
                todo.put((index, False))
                return
            item = self.plan[index]
            self.uploader.progress.done(item)
            failure: Exception = pending.failure
            if self.uploader.folder_is_a_file(folder):
                failure = file_in_the_way(folder)
            self._complete(index, self.uploader.failed(item, failure), done, pool)

        making.add_done_callback(then)

    # -- after: one listing per busy folder ---------------------------------------------------
    def _complete(
        self,
        index: int,
        outcome: Outcome,
        done: queue.Queue[tuple[int, Outcome]],
        pool: ThreadPoolExecutor,
    ) -> None:
        """A file is done; a listed folder's outcomes wait for its last file, then are checked
        together, on a Transfer thread."""
        folder = outcome.item.folder
        with self._lock:
            self._outstanding -= 1
            if folder not in self._left:
                done.put((index, outcome))
                return
            self._waiting.setdefault(folder, []).append((index, outcome))
            self._left[folder] -= 1
            if self._left[folder] or self.cancel.is_set():
                return
            finished = self._waiting.pop(folder)
            self._checking += 1

        def check() -> None:
            try:
                for checked in self._check_folder(folder, finished):
                    done.put(checked)
            finally:
                with self._lock:
                    self._checking -= 1

        pool.submit(check)

    def _check_folder(
        self, folder: str, finished: list[tuple[int, Outcome]]
    ) -> list[tuple[int, Outcome]]:
        """One listing for the folder; a file missing or of the wrong size is sent again."""
        uploaded = [(i, o) for i, o in finished if o.status == "uploaded"]
        if not uploaded:
            return finished
        try:
            entries = self.collection.listing(folder)
        except Exception as exc:  # a Transfer failure: check these files one by one instead
            self.reporter.debug(f"listing {folder}/ failed ({exc}); checking files by HEAD")
            entries = None
        checked = []
        for index, outcome in finished:
            if outcome.status == "uploaded":
                stored = (entries or {}).get(outcome.item.name)
                if entries is None or stored is None or stored.size != outcome.item.source.size:
                    if entries is not None:
                        size = "missing" if stored is None else f"{stored.size} bytes"
                        self.reporter.debug(
                            f"{outcome.item.source.path}: listed as {size}, sending it again"
                        )
                    outcome = self._again(outcome, check_only=entries is None)
            checked.append((index, outcome))
        return checked

    def _again(self, outcome: Outcome, check_only: bool) -> Outcome:
        item = outcome.item
        if check_only:
            problem = self.uploader.stored_size_problem(item)
            if problem is None:
                return outcome
            self.reporter.debug(f"{item.source.path}: {problem}, sending it again")
        retried = self.uploader.upload(item, check_size=True)
        retried.attempts += outcome.attempts
        retried.seconds += outcome.seconds
        return retried
