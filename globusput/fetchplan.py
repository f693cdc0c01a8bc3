"""What ``get`` fetches and ``verify`` checks, decided without the network.

Remote paths come from the command line (files, and folders ending in ``/``) or from a
globusput manifest; each lands under the local folder at its full collection path, so two
remote files never share a local name. A manifest is input like any other: its URLs must be
the collection's, and a path that would leave the local folder is refused.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

from globusput.errors import ConfigError, DestinationError
from globusput.layout import Destination, parse_destination, url_for

if TYPE_CHECKING:
    from globusput.collection import RemoteEntry

#: Manifest statuses of files that should be on the collection afterwards.
STORED = ("uploaded", "fetched")


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


@dataclass(frozen=True)
class PlannedDownload:
    """One remote file, the URL it is fetched from, and where it lands."""

    path: str  #: collection path
    url: str
    local: Path
    size: int | None  #: from Transfer's listing; None when unknown (Content-Length decides)
    modified: float | None = None  #: from the listing, given to the local copy
    sha256: str | None = None  #: from a manifest: the copy must match it
    root: Path = Path(".")  #: the local folder the copy must stay in (symlinks included)

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.path)

    @property
    def label(self) -> str:
        return self.path


@dataclass
class Verdict:
    """How the collection compares with a manifest."""

    present: list[Wanted] = field(default_factory=list)
    missing: list[Wanted] = field(default_factory=list)
    different: list[tuple[Wanted, int]] = field(default_factory=list)  #: with the size found
    extra: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.different or self.extra)


def remote_specs(texts: list[str]) -> list[Destination]:
    """Collection paths from the command line: ``/a/file`` or ``/a/folder/`` (all below it)."""
    specs = []
    for text in texts:
        if not text.strip().startswith(("/", "https://")):
            raise ConfigError(
                f"{text!r} is not a path on the collection: give it from the top, e.g. "
                f"/{text.strip().lstrip('./')}"
            )
        specs.append(parse_destination(text))
    return specs


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
    files, hosts = [], set()
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: file entry {number} is not an object")
        url = _remote_url(entry)
        if url is None:
            raise ConfigError(f"{path}: file entry {number} names no https:// URL")
        if entry.get("status") not in (*STORED, "skipped"):
            continue  # failed or only planned: nothing to expect
        parts = urlsplit(url)
        hosts.add(parts.netloc)
        size = entry.get("size") if entry.get("status") != "skipped" else None
        sha256 = entry.get("sha256") if entry.get("status") != "skipped" else None
        if size is not None and (not isinstance(size, int) or size < 0):
            raise ConfigError(f"{path}: file entry {number} has a size that is not a count")
        if sha256 is not None and not _is_sha256(sha256):
            raise ConfigError(f"{path}: file entry {number} has a sha256 that is not one")
        files.append(Wanted(os.fsdecode(unquote_to_bytes(parts.path)), size, sha256))
    collection = data.get("collection_id")
    return Manifest(str(collection) if collection else None, files, frozenset(hosts))


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


def local_path(root: Path, remote_path: str) -> Path:
    """Where a remote file lands: its whole collection path below ``root``."""
    parts = remote_path.split("/")[1:]
    if not parts or any(p in ("", ".", "..") or "\0" in p for p in parts):
        raise DestinationError(
            f"{remote_path!r} cannot be a file below the local folder: fetch it by another path"
        )
    return root.joinpath(*parts)


def plan_downloads(
    found: list[tuple[str, RemoteEntry | None]],
    root: Path,
    base_url: str,
    sha256: dict[str, str] | None = None,
) -> list[PlannedDownload]:
    """Each remote file (with its listing entry, when one was read) and where it lands."""
    sha256 = sha256 or {}
    return [
        PlannedDownload(
            path,
            url_for(base_url, path),
            local_path(root, path),
            entry.size if entry is not None else None,
            entry.modified if entry is not None else None,
            sha256.get(path),
            root,
        )
        for path, entry in found
    ]


def expand(
    specs: list[Destination], walked: Mapping[str, dict[str, RemoteEntry] | None]
) -> tuple[list[tuple[str, RemoteEntry | None]], list[str]]:
    """The files ``specs`` name, given the listings of their folders (and of every folder
    below a folder spec): files found, and the specs that named nothing."""
    found: dict[str, RemoteEntry | None] = {}
    missing = []
    for spec in specs:
        if spec.is_folder:
            below = [
                (posixpath.join(folder, name), entry)
                for folder, entries in walked.items()
                if _within(folder, spec.path)
                for name, entry in (entries or {}).items()
                if entry.is_file
            ]
            if not below:
                missing.append(spec.text)
            found.update(below)
            continue
        folder, name = posixpath.split(spec.path)
        entries = walked.get(folder)
        entry = (entries or {}).get(name)
        if entries is not None and (entry is None or not entry.is_file):
            missing.append(spec.text)
            continue
        found[spec.path] = entry  # None: no listing (Transfer refused), the GET will tell
    return sorted(found.items()), missing


def _within(folder: str, top: str) -> bool:
    top = top.rstrip("/") or "/"
    return folder == top or folder.startswith(top.rstrip("/") + "/")


def folders_to_list(specs: list[Destination]) -> tuple[list[str], list[str]]:
    """Folders to walk (folder specs) and folders to list once (the parents of file specs)."""
    walk = sorted({s.path.rstrip("/") or "/" for s in specs if s.is_folder})
    once = sorted({posixpath.dirname(s.path) for s in specs if not s.is_folder})
    return walk, [f for f in once if not any(_within(f, w) for w in walk)]


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
            path = posixpath.join(folder, name)
            if entry.is_file and path not in named:
                verdict.extra.append(path)
    return verdict
