from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from globusput.batch import keep_stored
from globusput.collection import RemoteEntry
from globusput.selection import LocalFile


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
