"""Both plan types, decided without the network: where each upload goes (collisions, order,
staging), what an overwrite policy keeps, where each download lands."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

import pytest

from globusput.errors import DestinationError, SelectionError
from globusput.paths import parse_destination, remote_specs
from globusput.plans import (
    LIST_FROM,
    expand,
    folders_to_list,
    keep_stored,
    local_path,
    looked_up_first,
    plan_uploads,
    restage,
    staging_folder,
    upload_order,
)
from globusput.remote import RemoteEntry
from globusput.selection import LocalFile

B = "https://example.edu"
SCIENCE = LocalFile("science.json", PurePosixPath("science.json"), 10)
SHA = "0" * 64


def entry(size: int, is_file: bool = True) -> RemoteEntry:
    return RemoteEntry(is_file, size, None)


def test_collisions_name_both_files() -> None:
    files = [
        LocalFile("a/r.txt", PurePosixPath("r.txt"), 1),
        LocalFile("b/r.txt", PurePosixPath("r.txt"), 1),
    ]
    expected = re.escape("a/r.txt and b/r.txt would both be stored as /d/r.txt")
    with pytest.raises(SelectionError, match=expected):
        plan_uploads(files, parse_destination("/d/"), B)


def test_file_destination_needs_exactly_one_file() -> None:
    files = [SCIENCE, LocalFile("b", PurePosixPath("b"), 1)]
    with pytest.raises(DestinationError, match="end it with '/'"):
        plan_uploads(files, parse_destination("/d/x.json"), B)


def test_upload_order_sends_the_smallest_file_of_each_folder_first() -> None:
    sizes = {"x/big": 90, "x/small": 5, "y/only": 70, "top": 1, "x/mid": 40, "y/z/a": 3}
    files = [LocalFile(n, PurePosixPath(n), size) for n, size in sizes.items()]
    plan = plan_uploads(files, parse_destination("/d/"), B)
    order = [plan[i].source.path for i in upload_order(plan)]
    # one probe per folder (in plan order), then everything else in plan order
    assert order == ["x/small", "y/only", "top", "y/z/a", "x/big", "x/mid"]
    assert sorted(upload_order(plan)) == list(range(len(plan)))


def test_staging_folder_is_hidden_beside_the_destination_and_stable() -> None:
    assert staging_folder(parse_destination("/rel/1.2.0/")) == "/rel/.1.2.0.globusput-staging/"
    assert staging_folder(parse_destination("site/")) == "/.site.globusput-staging/"
    for bad in ("/", "/rel/file.txt"):
        with pytest.raises(DestinationError, match="whole-folder upload needs a destination"):
            staging_folder(parse_destination(bad))


def test_restage_moves_every_path_under_the_staging_folder() -> None:
    files = [LocalFile(n, PurePosixPath(n), 1) for n in ["a/b.txt", "c.txt"]]
    plan = plan_uploads(files, parse_destination("/rel/1/"), B)
    staged = restage(plan, "/rel/1/", "/rel/.1.globusput-staging/")
    assert [p.path for p in staged] == [
        "/rel/.1.globusput-staging/a/b.txt",
        "/rel/.1.globusput-staging/c.txt",
    ]
    assert [p.source for p in staged] == [p.source for p in plan]


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


@pytest.mark.parametrize("path", ["/a/../../etc/passwd", "/a/./b", "/a//b", "/", "/a/\0"])
def test_a_remote_path_never_leaves_the_local_folder(path: str) -> None:
    with pytest.raises(DestinationError):
        local_path(Path("out"), path)


def test_files_land_at_their_whole_path() -> None:
    assert local_path(Path("out"), "/rel/1.0/a.whl") == Path("out/rel/1.0/a.whl")


def test_folders_are_walked_and_files_listed_once_per_folder() -> None:
    specs = remote_specs(["/rel/", "/rel/docs/a.txt", "/other/b.txt", "/other/c.txt"])
    assert folders_to_list(specs) == (["/rel"], ["/other"])
    walked = {
        "/rel": {"a.whl": entry(1), "docs": entry(0, False)},
        "/rel/docs": {"a.txt": entry(2)},
        "/other": {"b.txt": entry(3)},
    }
    found, missing, refused = expand(specs, walked)
    assert [path for path, _ in found] == ["/other/b.txt", "/rel/a.whl", "/rel/docs/a.txt"]
    assert missing == ["'/other/c.txt'"] and refused == []
    _, missing, _ = expand(remote_specs(["/rel/docs"]), walked)  # a folder, without its '/'
    assert missing == ["'/rel/docs' (a folder: end it with '/' to fetch it)"]


@pytest.mark.parametrize("name", ["/.git/config", "..", "/etc/passwdx", "a\\b", "nul\0", "", "."])
def test_a_listed_name_that_is_not_one_segment_fails_alone(name: str) -> None:
    """The collection's word: a name that would climb out of its folder, or replace it, is
    never joined to a path; the other files still come."""
    bad = RemoteEntry.from_listing({"name": name, "type": "file", "size": 1})
    walked = {"/rel": {"a.whl": entry(1), name: bad}}
    found, missing, refused = expand(remote_specs(["/rel/"]), walked)
    assert [path for path, _ in found] == ["/rel/a.whl"] and missing == []
    assert [path for path, _ in refused] == [f"/rel/{name}"]
    assert "not fetched" in refused[0][1]


def test_the_destination_is_looked_up_ahead_only_when_folders_are_made_below_it() -> None:
    def files(*names: str) -> list[LocalFile]:
        return [LocalFile(n, PurePosixPath(n), 1) for n in names]

    nested = files(*(f"d/{n}" for n in range(LIST_FROM)), "a.txt")
    rel = parse_destination("/rel/")
    assert looked_up_first(plan_uploads(nested, rel, B), rel, True) == "/rel"
    flat = files(*(str(n) for n in range(LIST_FROM)))
    assert looked_up_first(plan_uploads(flat, rel, B), rel, True) is None  # its PUT tells
    few = files("d/a.txt", "d/b.txt")  # a run without Transfer operations stays one
    assert looked_up_first(plan_uploads(few, rel, B), rel, True) is None
    assert looked_up_first(plan_uploads(nested, rel, B), rel, False) is None  # --no-mkdir...
    top, home = parse_destination("/"), parse_destination("/~/rel/")
    assert looked_up_first(plan_uploads(nested, top, B), top, True) is None  # / exists
    assert looked_up_first(plan_uploads(nested, home, B), home, True) is None  # not yet known
