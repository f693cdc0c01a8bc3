"""The manifest: globusput's record of a run, written by every file command and read by
``get --from-manifest`` and ``verify``.

One entry per file, the same shape both ways: ``source`` and ``destination`` (an upload's
local path and collection URL; a get's collection URL and local path), ``size``, ``sha256``,
``status`` and ``error``. Read back, a manifest is input like any other: its URLs must be the
collection's, and its sizes and hashes must be what they claim to be.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

from globusput.errors import ConfigError
from globusput.outcomes import Outcome
from globusput.paths import child, segment_problem
from globusput.plans import KEPT_BY
from globusput.remote import RemoteEntry

if TYPE_CHECKING:
    from globusput.collection import Collection
    from globusput.plans import PlannedDownload, PlannedUpload


#: Manifest statuses of files that should be on the collection afterwards (``submitted``:
#: once the Transfer task an upload left running is done; ``globusput wait`` says when).
STORED = ("uploaded", "fetched", "submitted")
#: How a skipped file is known to hold the local bytes (a whole-folder resume): its size and
#: SHA-256 are then checked like an uploaded file's.
SAME_BYTES = KEPT_BY["resume"]


@dataclass(frozen=True)
class Wanted:
    """A file a manifest says is on the collection, with what it recorded of it."""

    path: str  #: collection path
    size: int | None  #: None: not recorded (a skipped file), presence alone is checked
    sha256: str | None


@dataclass(frozen=True)
class Manifest:
    collection_id: str | None
    files: list[Wanted]
    hosts: frozenset[str]  #: where its URLs point: must be the collection's HTTPS server
    refused: list[tuple[str, str]] = field(default_factory=list)  #: (entry, why): fail alone


@dataclass
class Verdict:
    """How the collection compares with a manifest."""

    present: list[Wanted] = field(default_factory=list)
    missing: list[Wanted] = field(default_factory=list)
    different: list[tuple[Wanted, int]] = field(default_factory=list)  #: with the size found
    extra: list[str] = field(default_factory=list)
    unusable: list[tuple[str, str]] = field(default_factory=list)  #: manifest entries, why
    #: folders Transfer will not list (over its limit): their files were looked up one by
    #: one, but what else they hold could not be told
    unchecked: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        problems = (self.missing, self.different, self.extra, self.unusable, self.unchecked)
        return not any(problems)


# -- writing --------------------------------------------------------------------------------


def upload_manifest(
    collection_id: str, destination: str, outcomes: Sequence[Outcome[PlannedUpload]]
) -> dict[str, Any]:
    uploaded = [o for o in outcomes if o.status == "uploaded"]
    return {
        "collection_id": collection_id,
        "destination": destination,
        "files": [_entry(o, o.item.source.path, o.item.url, o.item.source.size) for o in outcomes],
        "uploaded": len(uploaded),
        "failed": sum(1 for o in outcomes if o.status == "failed"),
        "bytes": sum(o.item.source.size for o in uploaded),
    }


def get_manifest(
    collection_id: str, outcomes: Sequence[Outcome[PlannedDownload]]
) -> dict[str, Any]:
    """Like an upload's manifest, the other way round: ``source`` is the collection's URL."""
    done = [o for o in outcomes if o.status == "fetched"]
    return {
        "collection_id": collection_id,
        "files": [
            _entry(
                o, o.item.url, str(o.item.local), o.size if o.status == "fetched" else o.item.size
            )
            for o in outcomes
        ],
        "fetched": len(done),
        "failed": sum(1 for o in outcomes if o.status == "failed"),
        "bytes": sum(o.size for o in done),
    }


def _entry(
    outcome: Outcome[Any], source: str, destination: str, size: int | None
) -> dict[str, Any]:
    entry = {
        "source": source,
        "destination": destination,
        "size": size,
        "sha256": outcome.sha256,
        "status": outcome.status,
        "error": outcome.error,
    }
    if outcome.checked is not None:
        entry["checked"] = outcome.checked
    return entry


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, so a reader never sees half a manifest, nor a temporary file stays."""
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8: its bytes as \udcXX escapes
        text = json.dumps(data, indent=2).encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(text + b"\n")
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# -- reading --------------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """The files a globusput manifest (of an upload or a get) says are on the collection."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read the manifest {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise ConfigError(f"{path} is not a JSON manifest written by globusput") from None
    entries = data.get("files") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f'{path} has no "files" list: is it a manifest written by globusput?')
    files, hosts, refused = [], set(), []
    for number, entry in enumerate(entries, 1):
        url = _remote_url(entry) if isinstance(entry, dict) else None
        if url is None:
            refused.append((f"file entry {number}", "names no https:// URL"))
            continue
        if entry.get("status") not in (*STORED, "skipped"):
            continue  # failed or only planned: nothing to expect
        parts = urlsplit(url)
        hosts.add(parts.netloc)
        wanted = _wanted(entry, os.fsdecode(unquote_to_bytes(parts.path)))
        if isinstance(wanted, str):
            refused.append((f"file entry {number}", wanted))
        else:
            files.append(wanted)
    collection = data.get("collection_id")
    return Manifest(str(collection) if collection else None, files, frozenset(hosts), refused)


def _wanted(entry: dict[str, Any], path: str) -> Wanted | str:
    """One entry's file, or why it cannot be one: a manifest is input like a listing, so a
    path that is not a chain of names (``..``, ``//``, NUL) fails alone, never joined."""
    problems = [segment_problem(part) for part in path.split("/")[1:]]
    problem = next((p for p in problems if p is not None), None)
    if problem is not None or not problems:
        return f"its path {path!r} has a part that {problem or 'is empty'}: not a file's path"
    size, sha256 = entry.get("size"), entry.get("sha256")
    if entry.get("status") == "skipped" and entry.get("checked") != SAME_BYTES:
        size = sha256 = None  # a file kept by --overwrite may differ from the local one
    if entry.get("status") == "submitted" and sha256 is None:
        size = None  # the task's sync level may keep a copy that differs
    if size is not None and (not isinstance(size, int) or size < 0):
        return "has a size that is not a count"
    if sha256 is not None and not _is_sha256(sha256):
        return "has a sha256 that is not one"
    return Wanted(path, size, sha256)


def _remote_url(entry: dict[str, Any]) -> str | None:
    """An upload's manifest names the remote copy ``destination``, a get's ``source``."""
    for key in ("destination", "source"):
        value = entry.get(key)
        if isinstance(value, str) and value.startswith("https://"):
            return value
    return None


def _is_sha256(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def check_manifest_host(manifest: Manifest, base_url: str, collection_id: str) -> None:
    """A manifest of another collection would fetch or check the wrong files: refuse it."""
    own = urlsplit(base_url).netloc
    others = sorted(host for host in manifest.hosts if host != own)
    if others:
        raise ConfigError(
            f"the manifest's files are on {others[0]}, but collection {collection_id} serves "
            f"HTTPS at {own}: check GLOBUS_COLLECTION_ID"
        )


def collection_of(manifest: Manifest, given: uuid.UUID | None) -> uuid.UUID:
    """The manifest names its collection: used when none is given, refused when another is."""
    if manifest.collection_id is None:
        if given is None:
            raise ConfigError("GLOBUS_COLLECTION_ID (COLLECTION_ID): is required")
        return given
    try:
        recorded = uuid.UUID(manifest.collection_id)
    except ValueError:
        raise ConfigError("the manifest's collection_id is not a UUID") from None
    if given is not None and given != recorded:
        raise ConfigError(
            f"the manifest is of collection {recorded}, not {given}: drop "
            "GLOBUS_COLLECTION_ID to use the manifest's"
        )
    return recorded


def listings_of(
    manifest: Manifest, collection: Collection, base_url: str, below: bool = False
) -> dict[str, dict[str, RemoteEntry] | None]:
    """One listing per folder of the manifest (``below``: and of every folder under them, as
    ``get`` of those folders would fetch), once its URLs are known to be this collection's."""
    check_manifest_host(manifest, base_url, collection.id)
    folders = sorted({posixpath.dirname(w.path) for w in manifest.files})
    return collection.walk(folders) if below else collection.listings(folders)


def looked_up(
    manifest: Manifest, collection: Collection, folders: Iterable[str]
) -> dict[str, dict[str, RemoteEntry] | None]:
    """For folders Transfer will not list (over its limit), a listing of the manifest's own
    files there, one Transfer stat each."""
    found: dict[str, dict[str, RemoteEntry] | None] = {folder: {} for folder in folders}
    for wanted in manifest.files:
        folder, name = posixpath.split(wanted.path)
        entries = found.get(folder)
        if entries is not None and (stat := collection.stat(wanted.path)) is not None:
            entries[name] = RemoteEntry.from_listing({**stat, "name": name})
    return found


def compare(wanted: list[Wanted], listings: Mapping[str, dict[str, RemoteEntry] | None]) -> Verdict:
    """Each manifest file against its folder's listing; files in those folders that the
    manifest does not list are extra."""
    verdict = Verdict()
    named = {w.path for w in wanted}
    for item in wanted:
        folder, name = posixpath.split(item.path)
        entry = (listings.get(folder) or {}).get(name)
        if entry is None or not entry.is_file:
            verdict.missing.append(item)
        elif item.size is not None and entry.size != item.size:
            verdict.different.append((item, entry.size))
        else:
            verdict.present.append(item)
    for folder, entries in sorted(listings.items()):
        for name, entry in sorted((entries or {}).items()):
            path = child(folder, name)
            if (entry.is_file or entry.problem) and path not in named:
                verdict.extra.append(path)
    return verdict
