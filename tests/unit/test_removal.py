"""What delete and prune may remove, decided without the network."""

from __future__ import annotations

import pytest

from globusput.errors import DestinationError
from globusput.remote import RemoteEntry
from globusput.removal import check_pruned, present, prune, rebased, removable, still_listed


def entry(modified: float | None, is_file: bool = False) -> RemoteEntry:
    return RemoteEntry(is_file, 0, modified)


@pytest.mark.parametrize("text", ["/", "/~", "/~/", " / "])
def test_the_whole_collection_or_home_is_never_deleted(text: str) -> None:
    with pytest.raises(DestinationError, match="refusing to delete"):
        removable(text)


@pytest.mark.parametrize(
    "text", ["nightly/", "./nightly", "/a/../b", "/a/./b", "//", "https://example.edu/"]
)
def test_relative_or_climbing_paths_are_refused(text: str) -> None:
    with pytest.raises(DestinationError):
        removable(text)


def test_paths_lose_their_trailing_slash_and_home_is_rebased() -> None:
    assert removable("/nightly/2026-11-01/") == "/nightly/2026-11-01"
    assert rebased(removable("/~/builds/"), "/home/jdoe") == "/home/jdoe/builds"
    assert rebased("/x", "/home/jdoe") == "/x"


def test_prune_keeps_the_newest_and_removes_the_rest() -> None:
    listing = {f"b{i}": entry(100.0 + i) for i in range(5)}
    pruning = prune("/nightly/", listing, 2)
    assert pruning.kept == ["b4", "b3"]
    assert pruning.removed == ["b0", "b1", "b2"]
    assert pruning.paths() == ["/nightly/b0", "/nightly/b1", "/nightly/b2"]


def test_equal_times_keep_the_later_name() -> None:
    listing = {"nightly-2026-11-29": entry(5.0), "nightly-2026-11-30": entry(5.0)}
    assert prune("/n", listing, 1).kept == ["nightly-2026-11-30"]


def test_keeping_more_than_there_is_removes_nothing() -> None:
    assert prune("/n", {"a": entry(1.0)}, 3).removed == []


def test_what_cannot_be_judged_is_left_and_never_removed() -> None:
    listing = {
        "..": entry(1.0),  # another party's listing: a name that climbs out
        "a/b": entry(1.0),
        ".1.0.globusput-staging": entry(1.0),  # a running whole-folder upload
        "undated": entry(None),
        "old": entry(2.0),
        "new": entry(3.0),
    }
    pruning = prune("/n", listing, 1)
    assert pruning.removed == ["old"]
    assert set(pruning.left) == {"..", "a/b", ".1.0.globusput-staging", "undated"}


def test_present_splits_by_the_folder_listing() -> None:
    listings: dict[str, dict[str, object] | None] = {"/n": {"a": 1}, "/gone": None, "/deny": None}
    there, absent = present(["/n/a", "/n/b", "/gone/x", "/deny/y"], listings, {"/deny"})
    assert there == ["/n/a", "/deny/y"]  # a folder Transfer would not list: asked all the same
    assert absent == ["/n/b", "/gone/x"]
    assert still_listed(["/n/a", "/n/b"], listings) == ["/n/a"]


def test_the_check_after_pruning_names_what_is_wrong() -> None:
    pruning = prune("/n", {"a": entry(1.0), "b": entry(2.0)}, 1)
    assert check_pruned(pruning, {"b": entry(2.0)}) == []
    assert check_pruned(pruning, {"a": entry(1.0)}) == ["/n/a is still there", "/n/b is gone"]
    assert "could not be listed" in check_pruned(pruning, None)[0]
