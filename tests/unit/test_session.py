"""The HTTP session for data: the bearer token is never replaced, and a signal stops a run of
files without killing it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from globusput.session import TooSlow, deadline, make_session, stopped_by_signals


def test_a_netrc_never_replaces_the_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine h.example login someone password elses\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    session = make_session(4, lambda line: None)
    request = requests.Request("PUT", "https://h.example/a", headers={"Authorization": "Bearer t"})
    assert session.prepare_request(request).headers["Authorization"] == "Bearer t"


def test_a_signal_sets_cancel_is_recorded_and_the_old_handler_comes_back() -> None:
    cancel = threading.Event()
    before = signal.getsignal(signal.SIGTERM)
    with stopped_by_signals(cancel) as received:
        os.kill(os.getpid(), signal.SIGTERM)
        assert cancel.wait(5)
    assert received == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_deadline_shuts_a_socket_a_trickle_keeps_alive() -> None:
    """Each recv returns within any per-read timeout; the deadline ends the whole."""
    ours, theirs = socket.socketpair()
    stop = threading.Event()

    def trickle() -> None:  # for 3 s at most: without a deadline the test fails, not hangs
        end = time.monotonic() + 3
        while not stop.wait(0.05) and time.monotonic() < end:
            with contextlib.suppress(OSError):
                theirs.send(b"x")
        theirs.close()

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    try:
        with (
            pytest.raises(TooSlow, match="no whole answer within 0 s"),
            deadline(0.3, 5, threading.Event()) as limit,
        ):
            limit.attach(ours)
            while ours.recv(1):  # ends when the deadline shuts the socket
                pass
            raise OSError("the socket was shut")
    finally:
        stop.set()
    assert time.monotonic() - started < 3


def test_a_finished_request_leaves_its_socket_alone() -> None:
    """The connection goes back to the pool: a later expiry must not cut the next request."""
    ours, theirs = socket.socketpair()
    with deadline(0.1, 5, threading.Event()) as limit:
        limit.attach(ours)
    time.sleep(0.3)
    theirs.send(b"still open")
    assert ours.recv(100) == b"still open" and not limit.expired


def test_an_extended_deadline_waits_longer() -> None:
    with deadline(0.2, 5, threading.Event()) as limit:
        limit.extend(0.5)
        time.sleep(0.4)
        assert not limit.expired
        time.sleep(0.6)
        assert limit.expired


def test_a_cancelled_run_is_not_called_too_slow() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(OSError, match="cut"), deadline(0.05, 5, cancel):
        time.sleep(0.3)
        raise OSError("cut")
