"""Placement's decisions: when a file takes a temporary name, and how a refused rename onto
an old file is judged (by what holds the final name, not by the words of the refusal)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, cast

import pytest

from globusput.collection import Collection
from globusput.errors import PlacementFailed, ServiceError
from globusput.placement import Placement, rename_threshold
from globusput.plans import PlannedUpload
from globusput.selection import LocalFile

ITEM = PlannedUpload(LocalFile("a.bin", PurePosixPath("a.bin"), 3), "/d/a.bin", "https://h")


class FinalName:
    """What a collection holds at the final name, and how its renames answer."""

    def __init__(self, entry: dict[str, Any] | None, refusals: int) -> None:
        self.entry = entry
        self.refusals = refusals
        self.renames: list[tuple[str, str]] = []

    def rename(self, old: str, new: str) -> None:
        self.renames.append((old, new))
        if len(self.renames) <= self.refusals:
            raise ServiceError("Globus Transfer failed to rename: 502 SomeUndocumentedCode")

    def stat(self, path: str) -> dict[str, Any] | None:
        assert path == ITEM.path
        return self.entry


def place(entry: dict[str, Any] | None, refusals: int) -> tuple[FinalName, list[str]]:
    collection = FinalName(entry, refusals)
    discarded: list[str] = []
    placement = Placement(cast(Collection, collection), 0)
    placement.move_into_place(ITEM, "/d/.a.bin.part", discarded.append)
    return collection, discarded


def test_a_rename_that_replaces_needs_nothing_else() -> None:
    collection, discarded = place({"type": "file"}, refusals=0)
    assert len(collection.renames) == 1 and discarded == []


def test_a_refused_rename_onto_an_old_file_removes_it_and_renames_again() -> None:
    collection, discarded = place({"type": "file"}, refusals=1)
    assert len(collection.renames) == 2 and discarded == [ITEM.url]


def test_a_folder_at_the_final_name_is_said_and_not_removed() -> None:
    with pytest.raises(PlacementFailed, match=r"/d/a\.bin on the collection is a folder"):
        place({"type": "dir"}, refusals=1)


def test_a_refusal_with_nothing_at_the_final_name_is_reported_as_it_came() -> None:
    with pytest.raises(PlacementFailed, match="SomeUndocumentedCode"):
        place(None, refusals=1)


def test_a_second_refusal_is_final() -> None:
    with pytest.raises(PlacementFailed, match="SomeUndocumentedCode"):
        place({"type": "file"}, refusals=2)


@pytest.mark.parametrize(
    ("atomic", "expected"),
    [(None, 64), (True, 0), (False, None)],  # by default: big files only
)
def test_rename_threshold(atomic: bool | None, expected: int | None) -> None:
    assert rename_threshold(atomic, 64) == expected


class Published:
    """A collection where another run published the destination between this run's checks
    and its rename."""

    def rename(self, old: str, new: str) -> None:
        raise ServiceError("Globus Transfer failed to rename: 502 ExternalError.RenameFailed")

    def stat(self, path: str) -> dict[str, Any] | None:
        return {"type": "dir"} if path == "/rel/1.0/" else None


def test_a_destination_published_meanwhile_is_said_as_such() -> None:
    """Not "rerun to publish": the run published nothing, and its staging folder is dead."""
    from globusput.claim import Record
    from globusput.errors import NotPublished
    from globusput.paths import parse_destination
    from globusput.placement import StagedFolder

    class Store:
        def read(self) -> Record:
            return record

    folders = cast(Any, type("F", (), {"collection": Published()})())
    staged = StagedFolder(folders, parse_destination("/rel/1.0/"))
    record = staged.record = Record("/rel/1.0/", "s", 1, "run")
    staged.store = cast(Any, Store())
    with pytest.raises(NotPublished, match="published meanwhile by another run"):
        staged.publish()


def test_a_run_whose_record_was_taken_over_does_not_publish() -> None:
    """The record names another run: this one renames nothing and says who publishes."""
    from globusput.claim import Record
    from globusput.errors import NotPublished
    from globusput.paths import parse_destination
    from globusput.placement import StagedFolder

    renamed: list[str] = []

    class Taken:
        def rename(self, old: str, new: str) -> None:
            renamed.append(old)

    class Store:
        def read(self) -> Record:
            return Record("/rel/1.0/", "s", 1, "the-other-run")

    folders = cast(Any, type("F", (), {"collection": Taken()})())
    staged = StagedFolder(folders, parse_destination("/rel/1.0/"))
    staged.record = Record("/rel/1.0/", "s", 1, "this-run")
    staged.store = cast(Any, Store())
    with pytest.raises(NotPublished, match=r"another run \(the-other-run\) took over"):
        staged.publish()
    assert renamed == []
