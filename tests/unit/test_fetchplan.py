"""get and verify's decisions, without the network: what a manifest promises, where files
land, which listings name which files, and how a collection compares with a manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from globusput.collection import RemoteEntry
from globusput.errors import ConfigError, DestinationError
from globusput.fetchplan import (
    Wanted,
    check_manifest_host,
    compare,
    expand,
    folders_to_list,
    local_path,
    read_manifest,
    remote_specs,
)

SHA = "0" * 64


def entry(size: int, is_file: bool = True) -> RemoteEntry:
    return RemoteEntry(is_file, size, None)


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    return path


def test_a_manifest_promises_what_was_stored(tmp_path: Path) -> None:
    files = [
        {"destination": "https://h/rel/a%20b.whl", "size": 3, "sha256": SHA, "status": "uploaded"},
        {"destination": "https://h/rel/kept", "size": 9, "sha256": None, "status": "skipped"},
        {"destination": "https://h/rel/bad", "size": 1, "sha256": None, "status": "failed"},
        {"source": "https://h/rel/got", "destination": "x/got", "size": 2, "status": "fetched"},
    ]
    manifest = read_manifest(write(tmp_path, {"collection_id": "c", "files": files}))
    assert manifest.files == [
        Wanted("/rel/a b.whl", 3, SHA),
        Wanted("/rel/kept", None, None),  # skipped: present, of whatever size
        Wanted("/rel/got", 2, None),
    ]
    assert manifest.collection_id == "c" and manifest.hosts == {"h"}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("not json", "is not a JSON manifest"),
        ({"files": "x"}, 'has no "files" list'),
        ({"files": [{"destination": "/rel/a"}]}, "names no https:// URL"),
        ({"files": [{"destination": "https://h/a", "status": "uploaded", "size": -1}]}, "size"),
        ({"files": [{"destination": "https://h/a", "status": "uploaded", "sha256": "x"}]}, "sha"),
    ],
)
def test_a_bad_manifest_says_what_is_wrong(tmp_path: Path, data: object, words: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(ConfigError, match=words):
        read_manifest(path)


def test_a_manifest_of_another_server_is_refused(tmp_path: Path) -> None:
    files = [{"destination": "https://evil:443/a", "status": "uploaded", "size": 1}]
    manifest = read_manifest(write(tmp_path, {"files": files}))
    with pytest.raises(ConfigError, match="on evil:443, but collection C serves HTTPS at h"):
        check_manifest_host(manifest, "https://h", "C")


@pytest.mark.parametrize("path", ["/a/../../etc/passwd", "/a/./b", "/a//b", "/", "/a/\0"])
def test_a_remote_path_never_leaves_the_local_folder(path: str) -> None:
    with pytest.raises(DestinationError):
        local_path(Path("out"), path)


def test_files_land_at_their_whole_path() -> None:
    assert local_path(Path("out"), "/rel/1.0/a.whl") == Path("out/rel/1.0/a.whl")


def test_remote_paths_are_absolute() -> None:
    with pytest.raises(ConfigError, match=re.escape("give it from the top, e.g. /rel/a.whl")):
        remote_specs(["./rel/a.whl"])


def test_folders_are_walked_and_files_listed_once_per_folder() -> None:
    specs = remote_specs(["/rel/", "/rel/docs/a.txt", "/other/b.txt", "/other/c.txt"])
    assert folders_to_list(specs) == (["/rel"], ["/other"])
    walked = {
        "/rel": {"a.whl": entry(1), "docs": entry(0, False)},
        "/rel/docs": {"a.txt": entry(2)},
        "/other": {"b.txt": entry(3)},
    }
    found, missing = expand(specs, walked)
    assert [path for path, _ in found] == ["/other/b.txt", "/rel/a.whl", "/rel/docs/a.txt"]
    assert missing == ["/other/c.txt"]


def test_a_collection_compared_with_a_manifest() -> None:
    wanted = [Wanted("/r/a", 1, None), Wanted("/r/b", 2, None), Wanted("/r/c", None, None)]
    listings: dict[str, dict[str, RemoteEntry] | None] = {
        "/r": {"a": entry(1), "b": entry(5), "c": entry(7), "new": entry(1), "d": entry(0, False)}
    }
    verdict = compare(wanted, listings)
    assert [w.path for w in verdict.present] == ["/r/a", "/r/c"]
    assert verdict.different == [(wanted[1], 5)]
    assert verdict.extra == ["/r/new"] and verdict.missing == []
    assert not verdict.complete
    gone = compare(wanted, {"/r": None})
    assert [w.path for w in gone.missing] == ["/r/a", "/r/b", "/r/c"]
