"""An upload handed to a Transfer task, decided without the network: which engine, which
source paths, which scopes, and what counts as uploaded."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from globusput.errors import SelectionError
from globusput.handover import by_task, copy_problem, settle, source_paths, task_scope
from globusput.plans import PlannedUpload
from globusput.remote import CollectionInfo, RemoteEntry
from globusput.selection import LocalFile
from globusput.settings import Settings
from globusput.tasks import TaskFailed

SOURCE = "6528bad5-bc02-497d-8a4f-a38547d0e72a"


def settings(**values: object) -> Settings:
    base = {"GLOBUSPUT_SOURCE_COLLECTION_ID": SOURCE, "GLOBUSPUT_SOURCE_PATH": "/scratch/"}
    return Settings(**{**base, **values})  # type: ignore[arg-type]


def files(count: int, size: int = 1) -> list[LocalFile]:
    return [LocalFile(f"f{n}", PurePosixPath(f"f{n}"), size) for n in range(count)]


def test_auto_hands_over_only_large_runs_and_only_with_a_source() -> None:
    assert not by_task(settings(), files(1000))
    assert by_task(settings(), files(1001))
    assert by_task(settings(), files(1, 10 << 30 | 1))
    assert by_task(settings(GLOBUSPUT_ENGINE="task"), files(1))
    assert not by_task(settings(GLOBUSPUT_ENGINE="https"), files(5000))
    assert not by_task(Settings(), files(5000))  # no source collection
    assert not by_task(settings(GLOBUSPUT_WHOLE_FOLDER=True), files(5000))  # HTTPS publishes
    assert not by_task(settings(GLOBUSPUT_MKDIR=False), files(5000))  # Transfer makes folders


def test_source_paths_follow_the_base_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chosen = [
        LocalFile("dist/a.whl", PurePosixPath("a.whl"), 1),
        LocalFile("b", PurePosixPath("b"), 1),
    ]
    assert source_paths(chosen, ".", "/scratch/run/") == [
        "/scratch/run/dist/a.whl",
        "/scratch/run/b",
    ]
    assert source_paths(chosen[:1], "dist", "/s") == ["/s/a.whl"]
    with pytest.raises(SelectionError, match="not below the base folder"):
        source_paths([LocalFile("../x", PurePosixPath("x"), 1)], ".", "/s")


def test_the_task_scope_names_data_access_of_each_mapped_collection() -> None:
    mapped = CollectionInfo("a" * 8, "", "a", "GCSv5_mapped_collection", False)
    guest = CollectionInfo("b" * 8, "", "b", "GCSv5_guest_collection", False)
    scope = task_scope(mapped, guest)
    assert "aaaaaaaa/data_access" in scope and "bbbbbbbb" not in scope
    assert task_scope(guest) == "urn:globus:auth:scope:transfer.api.globus.org:all"


def plan(tmp_path: Path, data: bytes = b"abc") -> tuple[PlannedUpload, float]:
    path = tmp_path / "a"
    path.write_bytes(data)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    local = LocalFile(str(path), PurePosixPath("a"), len(data))
    return PlannedUpload(local, "/rel/a", "https://x"), 1_700_000_000.0


def test_only_a_copy_of_this_runners_file_counts_as_uploaded(tmp_path: Path) -> None:
    item, when = plan(tmp_path)
    assert copy_problem(item, RemoteEntry(True, 3, when), when) is None
    assert "3 bytes" not in (copy_problem(item, RemoteEntry(True, 4, when), when) or "")
    assert "GLOBUSPUT_SOURCE_PATH" in (copy_problem(item, RemoteEntry(True, 4, when), when) or "")
    assert "GLOBUSPUT_SOURCE_PATH" in (copy_problem(item, RemoteEntry(True, 3, 5.0), when) or "")
    assert "lacks it" in (copy_problem(item, None, when) or "")
    assert "changed" in (copy_problem(item, RemoteEntry(True, 3, when), when + 9) or "")


def test_settle_tells_copied_kept_and_failed_apart(tmp_path: Path) -> None:
    item, when = plan(tmp_path)
    listings = {"/rel": {"a": RemoteEntry(True, 3, when)}}
    times = {"/rel/a": when}
    (copied,) = settle([item], {"/rel/a"}, listings, None, "always", times)  # type: ignore[arg-type]
    assert copied.status == "uploaded" and copied.sha256 is not None
    (kept,) = settle([item], set(), listings, None, "never", times)  # type: ignore[arg-type]
    assert (kept.status, kept.checked) == ("skipped", "exists")
    (odd,) = settle([item], set(), listings, None, "always", times)  # type: ignore[arg-type]
    assert odd.status == "failed"  # nothing skips without a sync level
    refused = TaskFailed("denied", auth=True)
    (bad,) = settle([item], set(), listings, refused, "never", times)  # type: ignore[arg-type]
    assert bad.status == "failed" and bad.auth_failure
