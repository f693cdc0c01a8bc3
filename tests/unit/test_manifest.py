"""The manifest read back: what it promises, what makes it unusable, and how a collection
compares with it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from globusput.errors import ConfigError
from globusput.manifest import Wanted, check_manifest_host, compare, read_manifest, write_json
from globusput.remote import RemoteEntry

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
    [("not json", "is not a JSON manifest"), ({"files": "x"}, 'has no "files" list')],
)
def test_a_manifest_that_is_none_says_what_is_wrong(
    tmp_path: Path, data: object, words: str
) -> None:
    path = tmp_path / "m.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(ConfigError, match=words):
        read_manifest(path)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"destination": "/rel/a"}, "names no https:// URL"),
        ("just text", "names no https:// URL"),
        ({"destination": "https://h/a", "status": "uploaded", "size": -1}, "size"),
        ({"destination": "https://h/a", "status": "uploaded", "sha256": "x"}, "sha"),
        ({"destination": "https://h/r/%2E%2E/x", "status": "uploaded"}, "'/r/../x' has a part"),
        ({"destination": "https://h/r//x", "status": "uploaded"}, "is empty, '.' or '..'"),
        ({"destination": "https://h/r/a%00b", "status": "uploaded"}, "holds a NUL"),
        ({"destination": "https://h/", "status": "uploaded"}, "not a file's path"),
    ],
)
def test_a_bad_entry_fails_alone(tmp_path: Path, entry: object, words: str) -> None:
    """A manifest is input like a listing: its other files still count."""
    good = {"destination": "https://h/rel/ok", "size": 2, "status": "uploaded"}
    manifest = read_manifest(write(tmp_path, {"files": [entry, good]}))
    assert manifest.files == [Wanted("/rel/ok", 2, None)]
    assert len(manifest.refused) == 1 and manifest.refused[0][0] == "file entry 1"
    assert words in manifest.refused[0][1]


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


def test_a_write_cut_short_leaves_the_old_manifest_whole(tmp_path: Path) -> None:
    """The disk fills (here: a file size limit) while a new manifest is written: readers
    still find the old one, whole, and no temporary file stays."""
    path = tmp_path / "m.json"
    write_json(path, {"files": [], "note": "old"})
    old = path.read_bytes()
    code = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from globusput.manifest import write_json\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        f"    write_json(Path({str(path)!r}), {{'files': ['x' * 100] * 1000}})\n"
        "except OSError as exc:\n"
        "    sys.exit(7)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=60, check=False)
    assert done.returncode == 7  # the write really was cut short
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
