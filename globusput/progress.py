"""Progress people can watch: a live bar on a terminal, sparse lines in CI logs.

A CI log cannot show carriage-return animations, but a stuck upload must still be visible
there, so long files get a line every 10% or every 30 seconds instead.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from typing import Protocol, TextIO

from globusput.inert import shown


class Moving(Protocol):
    """A file on its way, up or down."""

    @property
    def url(self) -> str: ...

    @property
    def label(self) -> str:
        """How the file is named in progress lines."""

    @property
    def size(self) -> int | None: ...


#: Files at least this large get progress lines in logs (smaller ones finish too soon).
LOG_MIN_SIZE = 16 << 20
LOG_EVERY = 30.0
#: A bar appears only for uploads still running after this long.
DELAY = 0.5


class Progress:
    """No progress display (quiet, or nothing worth showing)."""

    def advance(self, item: Moving, amount: int) -> None:
        """``amount`` more bytes of ``item`` were sent (negative: a retry starts over)."""

    def done(self, item: Moving) -> None:
        """``item`` is finished, however it ended."""

    def write(self, line: str, stream: TextIO) -> None:
        write_line(line, stream)

    def close(self) -> None:
        """Remove the display."""


class TerminalProgress(Progress):
    """One overall bar (bytes, rate, ETA) on stderr, shown once uploading takes a moment."""

    def __init__(self, total: int, files: int) -> None:
        from tqdm import tqdm

        size = shutil.get_terminal_size()  # 80x24 where the terminal reports 0x0 (tqdm hides)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            delay=DELAY,
            desc=f"{files} file{'s' if files != 1 else ''}",
            file=sys.stderr,
            leave=False,
            ncols=min(100, size.columns),
            nrows=size.lines,
            colour=None if os.environ.get("NO_COLOR") else "green",
        )

    def advance(self, item: Moving, amount: int) -> None:
        with self._lock:
            self._bar.update(amount)

    def write(self, line: str, stream: TextIO) -> None:
        with self._lock:
            if time.monotonic() - self._started < DELAY:
                write_line(line, stream)  # no bar yet: do not conjure one
            else:
                self._bar.write(line, file=stream)

    def close(self) -> None:
        with self._lock:
            self._bar.close()


class LogProgress(Progress):
    """For logs: a line per long file at each 10% step, or after 30 s without one."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._sent: dict[str, int] = {}
        self._last: dict[str, tuple[int, float]] = {}  #: url -> (last decile, time)

    def advance(self, item: Moving, amount: int) -> None:
        size = item.size or 0
        if size < LOG_MIN_SIZE:
            return
        with self._lock:
            sent = self._sent[item.url] = self._sent.get(item.url, 0) + amount
            decile, now = sent * 10 // size, time.monotonic()
            last_decile, last_time = self._last.setdefault(item.url, (0, now))
            if decile > last_decile or now - last_time >= LOG_EVERY:
                self._last[item.url] = (max(decile, last_decile), now)
                line = f"{sent * 100 // size}% ({sent >> 20} of {size >> 20} MiB)"
                write_line(f"progress: {shown(item.label)} {line}", self._stream)

    def done(self, item: Moving) -> None:
        with self._lock:
            self._sent.pop(item.url, None)
            self._last.pop(item.url, None)


def write_line(line: str, stream: TextIO) -> None:
    """One write per line: ``print`` writes the line and its end apart, and where the stream
    writes through (``PYTHONUNBUFFERED``, common in CI images) another thread's line landed
    between them, two lines run together in the log."""
    stream.write(line + "\n")
    stream.flush()


def make_progress(quiet: bool, total: int, files: int, stream: TextIO) -> Progress:
    if quiet:
        return Progress()
    if sys.stderr.isatty() and os.environ.get("TERM") != "dumb":
        return TerminalProgress(total, files)
    return LogProgress(stream)
