"""The one worker pool: every file ends with one outcome, files can go again, work outside
the workers is waited for, and a signal leaves a complete account."""

from __future__ import annotations

import io
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from globusput.outcomes import Outcome, settle
from globusput.pool import Pool
from globusput.report import Reporter

PLAN = [f"f{n}" for n in range(20)]


def reporter() -> Reporter:
    return Reporter(out=io.StringIO(), err=io.StringIO())


def test_every_file_ends_once_whatever_its_path() -> None:
    """Some files go twice, some finish on another thread, one trips over a bug."""
    pool: Pool[str] = Pool(PLAN, 4, threading.Event())
    again: set[int] = set()
    lock = threading.Lock()
    aside = ThreadPoolExecutor(2)
    shown: list[str] = []

    def work(index: int) -> None:
        if index == 7:
            raise KeyError("a bug")
        with lock:
            first = index % 3 == 0 and index not in again
            again.add(index)
        if first:
            pool.again(index)
        elif index % 5 == 0:
            pool.aside(aside, lambda: pool.finish(index, Outcome(PLAN[index], "fetched")))
        else:
            pool.finish(index, Outcome(PLAN[index], "fetched"))

    def start() -> tuple[list[int], list[tuple[int, Outcome[str]]]]:
        return list(range(1, 20)), [(0, Outcome(PLAN[0], "skipped"))]

    results, signum = pool.run(start, work, reporter(), "files", lambda o: shown.append(o.item))
    aside.shutdown()
    assert signum == 0 and sorted(results) == list(range(20))
    assert results[0].status == "skipped"
    assert (
        results[7].status == "failed" and results[7].error == "internal error (KeyError: 'a bug')"
    )
    assert sorted(shown) == sorted(PLAN)  # each shown once


def test_a_signal_stops_the_run_and_every_file_is_accounted_for() -> None:
    cancel = threading.Event()
    pool: Pool[str] = Pool(PLAN, 2, cancel)
    started = threading.Event()

    def work(index: int) -> None:
        if index == 0:
            started.set()
            os.kill(os.getpid(), signal.SIGTERM)
        cancel.wait(5)
        pool.finish(index, Outcome(PLAN[index], "failed", error="cancelled"))

    results, signum = pool.run(lambda: (range(20), []), work, reporter(), "files", lambda o: None)
    assert started.is_set() and signum == signal.SIGTERM
    outcomes = settle(PLAN, results)
    assert len(outcomes) == 20 and all(o.status == "failed" for o in outcomes)
    assert {o.error for o in outcomes} <= {
        "interrupted before it finished",
        "not attempted: interrupted",
    }
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is given back
