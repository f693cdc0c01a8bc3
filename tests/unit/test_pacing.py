from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from globusput.pacing import FIRST_SPACING, HOLD_SPACINGS, RECOVERY, Lead, Pacer

#: the window Globus reportedly meters Transfer over (facts, section 3b)
METERED_WINDOW = 10.0


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def starts(pacer: Pacer, clock: FakeTime, count: int) -> list[float]:
    times = []
    for _ in range(count):
        pacer.wait()
        times.append(clock.now)
    return times


def test_never_more_than_the_rate_in_any_window() -> None:
    clock = FakeTime()
    pacer = Pacer(rate=10, window=1.0, clock=clock.clock, sleep=clock.sleep)
    times = starts(pacer, clock, 35)
    assert times[:10] == [100.0] * 10  # a burst up to the rate is free
    for i in range(len(times) - 10):
        assert times[i + 10] - times[i] >= 1.0  # the 11th start is a full window later
    assert clock.now - 100.0 < 3.5  # and no slower than needed: 35 starts in ~3 windows


def test_a_429_holds_everyone_for_retry_after_and_halves_the_pace() -> None:
    clock = FakeTime()
    pacer = Pacer(rate=10, window=1.0, clock=clock.clock, sleep=clock.sleep)
    pacer.slow_down(7, pacer.wait())
    pacer.wait()
    assert clock.now >= 107.0
    assert pacer.rate == 5 and pacer.throttled == 1 and pacer.spacing == 0.0
    for _ in range(4):
        pacer.slow_down(1, pacer.wait())  # never below one request a window
    assert pacer.rate == 1


def test_without_retry_after_what_follows_is_spaced() -> None:
    clock = FakeTime()
    pacer = Pacer(rate=10, window=1.0, clock=clock.clock, sleep=clock.sleep, jitter=min)
    pacer.slow_down(None, pacer.wait())
    first = 100.0 + FIRST_SPACING * HOLD_SPACINGS[0]
    spaced = [first + n * FIRST_SPACING for n in range(3)]
    assert starts(pacer, clock, 3) == spaced  # held, then FIRST_SPACING apart
    assert pacer.throttled == 1 and pacer.spacing == FIRST_SPACING


def test_without_retry_after_the_hold_is_jittered_spacings() -> None:
    clock = FakeTime()
    drawn: list[tuple[float, float]] = []

    def jitter(low: float, high: float) -> float:
        drawn.append((low, high))
        return high

    pacer = Pacer(clock=clock.clock, sleep=clock.sleep, jitter=jitter)
    hold = pacer.slow_down(None, pacer.wait())
    pacer.wait()
    assert clock.now == 100.0 + FIRST_SPACING * HOLD_SPACINGS[1] and drawn == [HOLD_SPACINGS]
    assert hold == FIRST_SPACING * HOLD_SPACINGS[1]  # what -v says
    pacer.slow_down(None, pacer.wait())  # a new 429: twice the spacing, twice the hold
    assert pacer.spacing == 2 * FIRST_SPACING


def test_a_job_refused_by_a_full_window_stays_away_for_most_of_it() -> None:
    """A 429 without Retry-After means the window is used up: coming back within it is
    refused again, and halves the pace again for nothing (one run in three of eight jobs
    took twice as long when the least hold was 6 s). Nor much longer than the window."""
    for jitter in (min, max):
        clock = FakeTime()
        pacer = Pacer(clock=clock.clock, sleep=clock.sleep, jitter=jitter)
        pacer.slow_down(None, pacer.wait())
        pacer.wait()
        assert 0.9 * METERED_WINDOW <= clock.now - 100.0 <= 1.2 * METERED_WINDOW


def test_429s_to_requests_sent_together_widen_the_spacing_once() -> None:
    """Four requests in flight refused by one crowded window are one piece of news: doubling
    for each would leave the run four times slower than it needs to be."""
    clock = FakeTime()
    pacer = Pacer(clock=clock.clock, sleep=clock.sleep, jitter=lambda low, high: low)
    sent = [pacer.wait() for _ in range(4)]
    clock.now += 0.6
    holds = [pacer.slow_down(None, at) for at in sent]
    assert pacer.spacing == FIRST_SPACING and pacer.throttled == 4
    assert holds[1:] == [None, None, None]  # -v tells of one hold, not four


def test_answers_narrow_the_spacing_back_to_the_rate() -> None:
    clock = FakeTime()
    pacer = Pacer(rate=10, window=1.0, clock=clock.clock, sleep=clock.sleep)
    pacer.slow_down(None, pacer.wait())
    pacer.answered()
    assert pacer.spacing == FIRST_SPACING * RECOVERY
    for _ in range(200):
        pacer.answered()
    assert pacer.spacing == 0.0  # below 1/rate it is the sliding window's again


def test_retry_after_is_capped() -> None:
    clock = FakeTime()
    pacer = Pacer(clock=clock.clock, sleep=clock.sleep)
    pacer.slow_down(86400)
    pacer.wait()
    assert clock.now - 100.0 <= 300.0


def test_calls_that_could_be_refused_together_follow_a_first_one() -> None:
    """Until one call has answered, one at a time; then together. A refused listing answers
    only when its repeat does, so the others never meet the same used-up limit."""
    lead = Lead()
    first_in, release = threading.Event(), threading.Event()
    flying, most = [0], [0]
    lock = threading.Lock()

    def call(wait: bool) -> int:
        with lock:
            flying[0] += 1
            most[0] = max(most[0], flying[0])
        first_in.set()
        if wait:
            release.wait(5)
        else:
            together.wait(5)
        with lock:
            flying[0] -= 1
        return 1

    together = threading.Barrier(3)
    with ThreadPoolExecutor(4) as pool:
        leader = pool.submit(lead, lambda: call(True))
        assert first_in.wait(5)
        followers = [pool.submit(lead, lambda: call(False)) for _ in range(3)]
        assert not any(f.done() for f in followers) and most[0] == 1  # held behind the first
        release.set()
        assert leader.result(5) == 1 and [f.result(5) for f in followers] == [1, 1, 1]
    assert most[0] == 3  # once one answered, the others went together (the barrier of 3)


def test_a_first_call_that_fails_still_lets_the_others_go() -> None:
    lead = Lead()

    def fail() -> int:
        raise RuntimeError("Transfer failed")

    with pytest.raises(RuntimeError):
        lead(fail)
    assert lead(lambda: 2) == 2
