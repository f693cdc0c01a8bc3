from __future__ import annotations

from globusput.pacing import Pacer


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
    pacer.wait()
    pacer.slow_down(7)
    pacer.wait()
    assert clock.now >= 107.0
    assert pacer.rate == 5 and pacer.throttled == 1
    for _ in range(4):
        pacer.slow_down(None)  # no usable Retry-After: a default hold, never below 1/s
    assert pacer.rate == 1


def test_retry_after_is_capped() -> None:
    clock = FakeTime()
    pacer = Pacer(clock=clock.clock, sleep=clock.sleep)
    pacer.slow_down(86400)
    pacer.wait()
    assert clock.now - 100.0 <= 300.0
