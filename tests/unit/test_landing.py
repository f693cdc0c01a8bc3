"""What becomes of a file already at a fetched file's local place, decided from the file
and what the listing or manifest said, without the network."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from globusput.landing import keeps, local_file
from globusput.plans import PlannedDownload

LISTED = 1_700_000_000.0


def planned(tmp_path: Path, data: bytes, mtime: float, sha: str | None = None) -> PlannedDownload:
    local = tmp_path / "back" / "a.txt"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(data)
    os.utime(local, (mtime, mtime))
    return PlannedDownload("/a.txt", "https://h/a.txt", local, 5, LISTED, sha, tmp_path / "back")


def kept(item: PlannedDownload, overwrite: str = "always") -> str | None:
    there = local_file(item)
    assert there is not None
    outcome = keeps(item, there, overwrite)
    return None if outcome is None else outcome.checked


def test_a_copy_globusput_made_is_kept_by_size_and_listed_time(tmp_path: Path) -> None:
    assert kept(planned(tmp_path, b"hello", LISTED)) == "size+mtime"


def test_an_edited_file_is_replaced(tmp_path: Path) -> None:
    assert kept(planned(tmp_path, b"HELLO", LISTED + 60)) is None  # same size, edited later
    assert kept(planned(tmp_path, b"hello!", LISTED)) is None  # another size


def test_a_manifests_sha256_decides_whatever_the_time(tmp_path: Path) -> None:
    sha = hashlib.sha256(b"hello").hexdigest()
    assert kept(planned(tmp_path, b"hello", LISTED + 60, sha)) == "size+sha256"
    assert kept(planned(tmp_path, b"HELLO", LISTED, sha)) is None


@pytest.mark.parametrize(
    ("overwrite", "mtime", "expected"),
    [
        ("never", LISTED + 60, "exists"),  # any local file stays
        ("changed", LISTED + 60, "size+mtime"),  # not older than the collection's copy
        ("changed", LISTED - 60, None),
        ("always", LISTED + 60, None),
    ],
)
def test_overwrite_policies(tmp_path: Path, overwrite: str, mtime: float, expected: str) -> None:
    assert kept(planned(tmp_path, b"HELLO", mtime), overwrite) == expected


def test_a_file_reached_through_a_link_leading_outside_is_not_looked_at(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.txt").write_bytes(b"hello")
    (tmp_path / "back").mkdir()
    item = PlannedDownload("/a.txt", "", tmp_path / "back" / "x" / "a.txt", 5, LISTED,
                           root=tmp_path / "back")  # fmt: skip
    (tmp_path / "back" / "x").symlink_to(outside)
    assert local_file(item) is None
