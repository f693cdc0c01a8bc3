"""The manifest read back: what it promises, what makes it unusable, and how a collection
compares with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from globusput.collection import RemoteEntry
from globusput.errors import ConfigError
from globusput.manifest import Wanted, check_manifest_host, compare, read_manifest

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
