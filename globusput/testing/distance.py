"""How far the stand-in's Globus is: answer delays per kind of request, and Transfer's rate
limit. Sources: the facts file's estimates (Auth 0.15 s, Transfer 0.25 s, operations relayed to
the collection 0.6 s, 0.03 s per HTTPS request) and the Globus FAQ's rate limit, second hand;
all settable."""

from __future__ import annotations

import re
import threading
import time

#: The facts file's estimates of how far Globus is from a CI runner, in seconds per request.
GLOBUS_LIKE_LATENCY = {"auth": 0.15, "transfer": 0.25, "op": 0.6, "data": 0.03}
LATENCY_KINDS = ("auth", "transfer", "op", "data")


def parse_latency(text: str) -> dict[str, float]:
    """``auth=0.15,transfer=0.25,op=0.6,data=0.03`` (any subset), or ``globus`` (estimates)."""
    if text.strip() == "globus":
        return dict(GLOBUS_LIKE_LATENCY)
    latency: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, value = part.partition("=")
        if not sep or kind.strip() not in LATENCY_KINDS:
            raise ValueError(f"{part!r}: expected KIND=SECONDS with KIND one of {LATENCY_KINDS}")
        seconds = float(value)
        if not 0 <= seconds <= 60:
            raise ValueError(f"{part!r}: seconds must be between 0 and 60")
        latency[kind.strip()] = seconds
    return latency


def parse_rate(text: str) -> tuple[int, float]:
    """``20/10s`` -> (20, 10.0): at most 20 requests in each 10-second window."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*s\s*", text)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"{text!r}: expected COUNT/SECONDSs, e.g. 20/10s")
    return int(match.group(1)), float(match.group(2) or 1)


class RateLimit:
    """Fixed metering windows, as Globus reportedly meters Transfer: over the limit, 429."""

    def __init__(self, count: int, window: float, retry_after: bool = True) -> None:
        self.count, self.window = count, window
        #: whether a 429 says when to come back: Globus documents neither way
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._window_start = 0.0
        self._used = 0

    def admit(self) -> float:
        """0 when the request may proceed, else the seconds until the window ends."""
        now = time.monotonic()
        with self._lock:
            start = now - now % self.window
            if start != self._window_start:
                self._window_start, self._used = start, 0
            self._used += 1  # refused requests count too
            if self._used <= self.count:
                return 0.0
            return start + self.window - now
