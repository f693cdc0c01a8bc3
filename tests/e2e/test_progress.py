"""Progress: a live bar on a terminal, sparse plain lines in CI logs, silence with -q."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

from .conftest import GLOBUSPUT, Runner

BIG = 20 << 20  # above the 16 MiB threshold for log lines


def _run_on_terminal(run: Runner, *args: str, **env: str) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal (where the bar goes); return status and screen."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [GLOBUSPUT, *args],
        cwd=run.workspace,
        env=run.env(**env),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    text = screen.decode(errors="replace")
    run.outputs.append(text)
    return proc.wait(timeout=10), text


def test_terminal_shows_a_live_bar(run: Runner) -> None:
    run.write("big.bin", b"\0" * (24 << 20))  # more than loopback's socket buffers hold
    run.standin.add_fault("slow", rate=8 << 20, path="*big.bin*")
    status, screen = _run_on_terminal(run, "--no-atomic", "big.bin", "/p/", run.collection_id)
    assert status == 0, screen
    assert "\r" in screen and "B/s" in screen and "%|" in screen  # bytes, rate, a bar
    assert "\x1b[32m" in screen  # coloured
    assert "uploaded big.bin ->" in screen


def test_terminal_honours_no_color(run: Runner) -> None:
    run.write("big.bin", b"\0" * (24 << 20))
    run.standin.add_fault("slow", rate=8 << 20, path="*big.bin*")
    status, screen = _run_on_terminal(
        run, "--no-atomic", "big.bin", "/p/", run.collection_id, NO_COLOR="1"
    )
    assert status == 0, screen
    assert "%|" in screen and "\x1b[32m" not in screen


def test_quick_uploads_show_no_bar(run: Runner) -> None:
    run.write("small.txt", "small")
    status, screen = _run_on_terminal(run, "small.txt", "/p/", run.collection_id)
    assert status == 0, screen
    assert "%|" not in screen


def test_logs_get_plain_lines_for_long_files(run: Runner) -> None:
    run.write("big.bin", b"\1" * BIG)
    run.write("small.txt", "s")
    run.standin.add_fault("slow", rate=16 << 20, path="*big.bin*")
    result = run("--no-atomic", "big.bin", "small.txt", "/p/", run.collection_id)
    assert result.returncode == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("progress:")]
    assert 5 <= len(lines) <= 11, lines  # about one per 10%
    assert lines[-1] == "progress: big.bin 100% (20 of 20 MiB)"
    assert "small.txt" not in "".join(lines)
    assert "\r" not in result.output


def test_quiet_is_quiet(run: Runner) -> None:
    run.write("big.bin", b"\1" * BIG)
    result = run("-q", "big.bin", "/p/", run.collection_id)
    assert result.returncode == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    assert run.stored("/p/big.bin") == b"\1" * BIG
