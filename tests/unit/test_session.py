"""The HTTP session for data: the bearer token is never replaced, and a signal stops a run of
files without killing it."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
import requests

from globusput.session import make_session, stopped_by_signals


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
