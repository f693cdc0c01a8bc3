"""One worker pool for a run of files, in either direction.

Workers take files from a queue and hand each outcome back when it is final; a file may be
queued again (its folder was being made), and work elsewhere (a folder's listing check on a
Transfer thread) may finish files too. SIGINT and SIGTERM stop the workers and cut open
transfers; what finished is still reported, and the signal is returned.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Generic

from globusput.outcomes import CANCELLED, Item, Outcome
from globusput.session import stopped_by_signals

if TYPE_CHECKING:
    from globusput.report import Reporter

_STOP = -1  #: queued once per worker when the last file is final


class Pool(Generic[Item]):
    """``concurrency`` workers over ``plan``; ``work(index)`` must end, now or later, in
    :meth:`finish` or :meth:`again` for that index."""

    def __init__(self, plan: Sequence[Item], concurrency: int, cancel: threading.Event) -> None:
        self.plan = plan
        self.concurrency = concurrency
        self.cancel = cancel
        self._todo: queue.Queue[int] = queue.Queue()
        self._done: queue.Queue[tuple[int, Outcome[Item]]] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0  #: files queued or on their way, without a final outcome
        self._busy = 0  #: work under way outside the workers
        self._workers = 0

    def pending(self) -> int:
        """Files without a final outcome yet (queued, on their way, or waiting for a check)."""
        with self._lock:
            return self._pending

    def again(self, index: int) -> None:
        """Queue a file (once more)."""
        self._todo.put(index)

    def finish(self, index: int, outcome: Outcome[Item]) -> None:
        """A file's final outcome."""
        with self._lock:
            self._pending -= 1
            last = self._pending == 0
        self._done.put((index, outcome))
        if last:  # the workers stop now, not at their next look at an empty queue
            for _ in range(self._workers):
                self._todo.put(_STOP)

    def aside(self, executor: Executor, job: Callable[[], None]) -> None:
        """Run ``job``, which will finish files, on ``executor``: the run waits for it."""
        with self._lock:
            self._busy += 1

        def run() -> None:
            try:
                job()
            finally:
                with self._lock:
                    self._busy -= 1

        executor.submit(run)

    def run(
        self,
        start: Callable[[], tuple[Sequence[int], Sequence[tuple[int, Outcome[Item]]]]],
        work: Callable[[int], None],
        reporter: Reporter,
        title: str,
        show: Callable[[Outcome[Item]], None],
    ) -> tuple[dict[int, Outcome[Item]], int]:
        """``start()`` says which files to work through and which are final already (it
        runs under the signal handlers, in the log section); every final outcome but a
        cancelled one is shown as it comes. Returns the outcomes by index and the signal
        that stopped the run (0 if none)."""
        results: dict[int, Outcome[Item]] = {}
        with stopped_by_signals(self.cancel) as received, reporter.files_section(title):
            indexes, finished = start()
            for index, outcome in finished:
                self._done.put((index, outcome))
            self._pending = len(indexes)
            for index in indexes:
                self._todo.put(index)
            self._workers = min(self.concurrency, len(indexes))
            workers = [
                threading.Thread(target=self._worker, args=(work,), name=f"file-{n}", daemon=True)
                for n in range(self._workers)
            ]
            for thread in workers:
                thread.start()
            try:
                self._collect(results, workers, show)
            finally:
                for thread in workers:
                    thread.join()
        while not self._done.empty():
            index, outcome = self._done.get()
            results.setdefault(index, outcome)
        return results, received[0] if received else 0

    def _worker(self, work: Callable[[int], None]) -> None:
        # queues, not futures: waiting on thousands of futures costs O(n) per wake-up; Queue,
        # not SimpleQueue, whose get(timeout) was seen never to return with several readers
        while not self.cancel.is_set():
            try:
                index = self._todo.get(timeout=0.1)
            except queue.Empty:
                with self._lock:
                    if self._pending == 0:
                        return
                continue
            if index == _STOP:
                return
            try:
                work(index)
            except Exception as exc:  # a bug stays with its file: no lost worker, no hang
                error = f"internal error ({type(exc).__name__}: {exc})"
                self.finish(index, Outcome(self.plan[index], "failed", error=error))

    def _collect(
        self,
        results: dict[int, Outcome[Item]],
        workers: list[threading.Thread],
        show: Callable[[Outcome[Item]], None],
    ) -> None:
        while len(results) < len(self.plan):
            try:
                index, outcome = self._done.get(timeout=0.25)  # wakes up for signals, too
            except queue.Empty:
                idle = not any(thread.is_alive() for thread in workers)
                if idle and not self._busy and self._done.empty():
                    return  # stopped by a signal: the rest was never started
                continue
            results[index] = outcome
            if outcome.error != CANCELLED:
                show(outcome)
