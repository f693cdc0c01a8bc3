"""Uploading a whole plan: concurrent workers, with the remote questions asked per folder.

Transfer calls are slow (relayed to the collection's server) and rate-limited, so whatever can
be learnt from one listing of a folder is learnt that way: which stored files an
``--overwrite`` policy keeps, and whether every file of a busy folder arrived whole. Files in
quiet folders are checked by a HEAD to the HTTPS server instead, which is cheaper for a few.
"""

from __future__ import annotations

import posixpath
import queue
import signal
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import TYPE_CHECKING

from globusput.layout import PlannedUpload, upload_order
from globusput.progress import Progress
from globusput.session import abort_transfers
from globusput.upload import Outcome, sha256_of

if TYPE_CHECKING:
    from globusput.collection import Collection, RemoteEntry
    from globusput.report import Reporter
    from globusput.selection import LocalFile
    from globusput.upload import Uploader

#: A folder receiving at least this many files is checked by one listing instead of a HEAD
#: per file (one Transfer call against that many requests to the HTTPS server).
LIST_FROM = 8
#: Listings made at once; the pacer keeps their rate within Transfer's limit.
LIST_WORKERS = 8
#: Stored and local clocks may differ this much when ``changed`` compares ages.
MTIME_SLACK = 1.0

Listings = Mapping[str, "dict[str, RemoteEntry] | None"]


def keep_stored(policy: str, local: LocalFile, stored: RemoteEntry | None) -> bool:
    """``never``: keep any stored file; ``changed``: keep one of the same size, not older."""
    if stored is None or not stored.is_file or policy == "always":
        return False
    if policy == "never":
        return True
    import os

    fresh = (
        stored.modified is not None
        and stored.modified + MTIME_SLACK >= os.stat(local.path).st_mtime
    )
    return stored.size == local.size and fresh


def list_folders(collection: Collection, folders: Iterable[str]) -> Listings:
    """One listing per folder, several at a time (None for a folder that does not exist)."""
    folders = list(folders)
    if not folders:
        return {}
    with ThreadPoolExecutor(min(LIST_WORKERS, len(folders))) as pool:
        return dict(zip(folders, pool.map(collection.listing, folders), strict=True))


def _folder(item: PlannedUpload) -> str:
    return posixpath.dirname(item.remote_path)


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

    def run(self) -> tuple[list[Outcome], int]:
        received: list[int] = []

        def stop(signum: int, frame: FrameType | None) -> None:
            received.append(signum)
            self.cancel.set()
            abort_transfers()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        results: dict[int, Outcome] = {}
        self.reporter.begin_files(len(self.plan))
        done: queue.SimpleQueue[tuple[int, Outcome]] = queue.SimpleQueue()
        try:
            todo = self._skip_kept(done)
            self._plan_checks(todo)
            self._work(todo, done, results)
        finally:
            self.reporter.progress.close()
            self.reporter.progress = Progress()
            self.reporter.end_files()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        outcomes = [
            results.get(index) or Outcome(item, "failed", error="not attempted: interrupted")
            for index, item in enumerate(self.plan)
        ]
        for outcome in outcomes:
            if outcome.error == "cancelled":
                outcome.error = "interrupted before it finished"
        return outcomes, received[0] if received else 0

    # -- before: what is kept, how each file will be checked -------------------------------
    def _skip_kept(self, done: queue.SimpleQueue[tuple[int, Outcome]]) -> list[int]:
        """Queue the files to send, smallest per folder first; report the kept ones."""
        listings = self.listings
        if self.overwrite != "always" and listings is None:
            listings = list_folders(self.collection, {_folder(i) for i in self.plan})
        todo: list[int] = []
        for index in upload_order(self.plan):
            item = self.plan[index]
            stored = ((listings or {}).get(_folder(item)) or {}).get(
                posixpath.basename(item.remote_path)
            )
            if keep_stored(self.overwrite, item.source, stored):
                outcome = Outcome(item, "skipped", sha256=sha256_of(item.source.path))
                self.reporter.progress.done(item)
                done.put((index, outcome))
            else:
                todo.append(index)
        return todo

    def _plan_checks(self, todo: list[int]) -> None:
        """Busy folders are checked by one listing once their last file is done."""
        if not self.check_sizes or not self.collection.filesystem_ops:
            return
        counts: dict[str, int] = {}
        for index in todo:
            folder = _folder(self.plan[index])
            counts[folder] = counts.get(folder, 0) + 1
        self._left = {folder: n for folder, n in counts.items() if n >= LIST_FROM}

    # -- during ------------------------------------------------------------------------------
    def _work(
        self,
        indexes: list[int],
        done: queue.SimpleQueue[tuple[int, Outcome]],
        results: dict[int, Outcome],
    ) -> None:
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in indexes:
            todo.put(index)

        def worker() -> None:
            while not self.cancel.is_set():
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                item = self.plan[index]
                listed = _folder(item) in self._left
                outcome = self.uploader.upload(item, check_size=self.check_sizes and not listed)
                if not listed:
                    done.put((index, outcome))
                    continue
                for finished in self._finish_in_folder(index, outcome):
                    done.put(finished)

        # plain queues, not futures: waiting on thousands of futures costs O(n) per wake-up
        workers = [
            threading.Thread(target=worker, name=f"put-{n}", daemon=True)
            for n in range(min(self.concurrency, len(indexes)))
        ]
        for thread in workers:
            thread.start()
        while len(results) < len(self.plan):
            try:
                index, outcome = done.get(timeout=0.25)  # wakes up for signals, too
            except queue.Empty:
                if not any(thread.is_alive() for thread in workers) and done.empty():
                    break
                continue
            results[index] = outcome
            if outcome.error != "cancelled":
                self.reporter.outcome(outcome)
        for thread in workers:
            thread.join()
        with self._lock:  # interrupted before their folder was listed: stored, not checked
            for waiting in self._waiting.values():
                for index, outcome in waiting:
                    results.setdefault(index, outcome)

    def _finish_in_folder(self, index: int, outcome: Outcome) -> list[tuple[int, Outcome]]:
        """Hold a listed folder's outcomes until its last file is done, then check them all."""
        folder = _folder(outcome.item)
        with self._lock:
            self._waiting.setdefault(folder, []).append((index, outcome))
            self._left[folder] -= 1
            if self._left[folder] or self.cancel.is_set():
                return []
            finished = self._waiting.pop(folder)
        return self._check_folder(folder, finished)

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
                stored = (entries or {}).get(posixpath.basename(outcome.item.remote_path))
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
