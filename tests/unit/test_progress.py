"""The log's lines stay whole when threads write at once."""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

from globusput.progress import Progress


def test_lines_written_by_many_threads_at_once_stay_whole(tmp_path: Path) -> None:
    progress = Progress()
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can
    # written through, as stderr is under PYTHONUNBUFFERED: each write reaches the file alone
    with (
        open(tmp_path / "log", "wb", buffering=0) as raw,
        io.TextIOWrapper(raw, write_through=True) as log,
    ):

        def write(thread: int) -> None:
            for n in range(2000):
                progress.write(f"thread {thread} line {n}", log)

        threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            sys.setswitchinterval(previous)
    lines = (tmp_path / "log").read_text().splitlines()
    assert len(lines) == 8000
    assert all(line.startswith("thread ") and line.count("line") == 1 for line in lines)
