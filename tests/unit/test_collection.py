"""What Transfer's answers are read as, without the network."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

import globus_sdk
import pytest

from globusput.collection import Collection
from globusput.errors import ServiceError
from globusput.remote import RemoteEntry


def test_listing_entries_are_read_as_globus_writes_them() -> None:
    entry = RemoteEntry.from_listing(
        {"type": "file", "size": 42, "last_modified": "2026-01-02 03:04:05+00:00"}
    )
    assert entry == RemoteEntry(True, 42, 1767323045.0)
    assert RemoteEntry.from_listing({"type": "dir", "last_modified": "garbage"}) == RemoteEntry(
        False, 0, None
    )


class Lying(Collection):
    """A collection whose listings come from a function of the folder."""

    def __init__(self, listing: Callable[[str], dict[str, RemoteEntry]]) -> None:
        self.asked: list[str] = []
        self._listing = listing

    def listings(self, folders: Iterable[str]) -> dict[str, dict[str, RemoteEntry] | None]:
        folders = list(folders)
        self.asked += folders
        return {folder: self._listing(folder) for folder in folders}


def folder(name: str) -> RemoteEntry:
    return RemoteEntry.from_listing({"name": name, "type": "dir"})


def test_a_listing_that_contains_itself_ends_the_walk_at_once() -> None:
    lying = Lying(lambda path: {"a.txt": RemoteEntry(True, 1, None), "loop": folder("loop")})
    with pytest.raises(ServiceError, match=r"round in a circle, back to /rel \(at /rel/loop"):
        lying.walk(["/rel"])
    assert lying.asked == ["/rel", "/rel/loop"]


def test_a_walk_is_bounded_in_depth() -> None:
    lying = Lying(lambda path: {f"d{path.count('/')}": folder(f"d{path.count('/')}")})
    with pytest.raises(ServiceError, match="more than 64 levels deep"):
        lying.walk(["/rel"])
    assert len(lying.asked) == 64


def test_folders_named_otherwise_than_one_segment_are_not_entered() -> None:
    lying = Lying(lambda path: {"/etc": folder("/etc"), "..": folder(".."), "ok": folder("ok")})
    found = Lying(lambda path: {} if path.endswith("ok") else lying._listing(path)).walk(["/r"])
    assert sorted(found) == ["/r", "/r/ok"]


def test_an_entry_neither_file_nor_folder_is_never_used() -> None:
    """Transfer lists a link to nothing as invalid_symlink: not fetched, never entered."""
    entry = RemoteEntry.from_listing({"name": "gone", "type": "invalid_symlink", "size": 9})
    assert not entry.is_file and entry.problem is not None
    assert "neither a file nor a folder" in entry.problem


class _StatClient:
    """Transfer's stat, answered once with ``first`` (an answer or an error), then truly."""

    def __init__(self, first: object) -> None:
        self.first = first
        self.asked: list[str] = []

    def operation_stat(self, collection_id: str, path: str) -> object:
        self.asked.append(path)
        answer = self.first if len(self.asked) == 1 else {"type": "dir", "name": "second"}
        if isinstance(answer, Exception):
            raise answer
        return type("Response", (), {"data": answer})()


def _stat_twice(first: object) -> tuple[dict[str, object] | None, list[str]]:
    client = _StatClient(first)
    collection = Collection(client, uuid.uuid4(), "me", print)  # type: ignore[arg-type]
    collection.stat_ahead("/rel")
    return collection.stat("/rel"), client.asked


def test_a_stat_asked_ahead_answers_the_stat_that_wants_it() -> None:
    assert _stat_twice({"type": "dir", "name": "first"}) == (
        {"type": "dir", "name": "first"},
        ["/rel"],
    )


def test_a_stat_ahead_that_failed_is_asked_again_when_wanted() -> None:
    # consent not yet given, a lost connection: the real call handles those, with its retries
    found, asked = _stat_twice(globus_sdk.GlobusError())
    assert found == {"type": "dir", "name": "second"} and asked == ["/rel", "/rel"]
