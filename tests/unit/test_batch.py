from __future__ import annotations

import io
import os
import signal
import threading
from pathlib import Path, PurePosixPath

import pytest

from globusput.batch import Batch, keep_stored
from globusput.collection import RemoteEntry
from globusput.layout import PlannedUpload
from globusput.report import Reporter
from globusput.selection import LocalFile
from globusput.upload import Outcome


@pytest.fixture
def local(tmp_path: Path) -> LocalFile:
    path = tmp_path / "a.txt"
    path.write_bytes(b"12345")
    os.utime(path, (1_000_000, 1_000_000))
    return LocalFile(str(path), PurePosixPath("a.txt"), 5)


def test_always_keeps_nothing(local: LocalFile) -> None:
    assert not keep_stored("always", local, RemoteEntry(True, 5, 2_000_000.0))


def test_never_keeps_any_stored_file_but_not_a_folder(local: LocalFile) -> None:
    assert keep_stored("never", local, RemoteEntry(True, 1, 0.0))
    assert not keep_stored("never", local, RemoteEntry(False, 0, 0.0))
    assert not keep_stored("never", local, None)


@pytest.mark.parametrize(
    ("size", "modified", "kept"),
    [
        (5, 1_000_000.0, True),  # same size, same age
        (5, 999_999.5, True),  # within the second the listing rounds to
        (5, 999_990.0, False),  # older than the local file
        (4, 2_000_000.0, False),  # other size
        (5, None, False),  # age unknown: send it
    ],
)
def test_changed_keeps_same_size_not_older(
    local: LocalFile, size: int, modified: float | None, kept: bool
) -> None:
    assert keep_stored("changed", local, RemoteEntry(True, size, modified)) is kept


def test_listing_entries_are_read_as_globus_writes_them() -> None:
    entry = RemoteEntry.from_listing(
        {"type": "file", "size": 42, "last_modified": "2026-01-02 03:04:05+00:00"}
    )
    assert entry == RemoteEntry(True, 42, 1767323045.0)
    assert RemoteEntry.from_listing({"type": "dir", "last_modified": "garbage"}) == RemoteEntry(
        False, 0, None
    )


class _Collection:
    filesystem_ops = True

    def listing(self, folder: str) -> dict[str, RemoteEntry] | None:
        return None


class _Uploader:
    """Uploads everything, except one file on which it trips over a bug."""

    def __init__(self) -> None:
        self.collection = _Collection()

    def upload(self, item: PlannedUpload, check_size: bool, may_defer: bool = False) -> Outcome:
        if item.source.path == "bad":
            raise KeyError("a bug")
        return Outcome(item, "uploaded", sha256="0" * 64)


def test_an_unexpected_error_stays_with_its_file() -> None:
    plan = [
        PlannedUpload(LocalFile(name, PurePosixPath(name), 1), f"/d/{name}", "https://x")
        for name in ("a", "bad", "c", "d", "e")
    ]

    cancel = threading.Event()

    def too_long(signum: int, frame: object) -> None:
        cancel.set()  # lets the workers go, so the failure is quick
        raise TimeoutError("the batch hung")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(10)
    try:
        outcomes, signum = Batch(
            plan,
            _Uploader(),  # type: ignore[arg-type]
            concurrency=2,
            cancel=cancel,
            reporter=Reporter(out=io.StringIO(), err=io.StringIO()),
            check_sizes=True,
            overwrite="always",
        ).run()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert signum == 0
    assert [o.status for o in outcomes] == [
        "uploaded",
        "failed",
        "uploaded",
        "uploaded",
        "uploaded",
    ]
    assert outcomes[1].error == "internal error (KeyError: 'a bug')"
