"""What each run moves, decided without the network: one plan type per direction.

An upload pairs every selected local file with its collection path (collisions are refused
before anything is uploaded); a download pairs every remote file with the local path it lands on,
its whole collection path below the local folder, so two remote files never share a local name.
Both carry the collection's URL of the file, its folder and how progress names it.
"""

from __future__ import annotations

import collections
import os
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from globusput.errors import DestinationError, SelectionError
from globusput.paths import (
    NAME_MAX,
    Destination,
    child,
    hidden_sibling,
    in_home,
    name_bytes,
    url_for,
)
from globusput.selection import LocalFile

if TYPE_CHECKING:
    from globusput.remote import RemoteEntry

#: Stored and local clocks may differ this much when ``changed`` compares ages.
MTIME_SLACK = 1.0
Listings = Mapping[str, "dict[str, RemoteEntry] | None"]

# -- uploads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedUpload:
    """One file, its collection path and the collection's HTTPS server."""

    source: LocalFile
    path: str
    base_url: str

    @property
    def url(self) -> str:
        """Where the file is PUT."""
        return url_for(self.base_url, self.path)

    @property
    def folder(self) -> str:
        """The remote folder the file goes into (no trailing slash; "/" at the top)."""
        return posixpath.dirname(self.path)

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def label(self) -> str:
        return self.source.path

    @property
    def size(self) -> int:
        return self.source.size


def plan_uploads(
    files: Sequence[LocalFile], destination: Destination, base_url: str
) -> list[PlannedUpload]:
    """Pair every file with its remote path; collisions are refused before anything is sent."""
    if not destination.is_folder:
        if len(files) != 1:
            raise DestinationError(
                f"destination {destination.text!r} names one file but {len(files)} files are "
                f"selected: end it with '/' ({destination.path}/) to upload into that folder"
            )
        _check_name_lengths(destination.path, files[0])
        return [PlannedUpload(files[0], destination.path, base_url)]
    plan: list[PlannedUpload] = []
    taken: dict[str, LocalFile] = {}
    collisions: list[str] = []
    for local in files:
        remote = destination.path + local.relative.as_posix()
        _check_name_lengths(remote, local)
        other = taken.setdefault(remote, local)
        if other is not local:
            collisions.append(f"{other.path} and {local.path} would both be stored as {remote}")
            continue
        plan.append(PlannedUpload(local, remote, base_url))
    if collisions:
        raise SelectionError(
            "; ".join(collisions) + ": use --base-dir or narrower patterns so each file has "
            "its own remote path"
        )
    return plan


def _check_name_lengths(remote: str, local: LocalFile) -> None:
    for name in remote.split("/"):
        if len(name_bytes(name)) > NAME_MAX:
            raise SelectionError(
                f"{local.path} would be stored under a name of {len(name_bytes(name))} bytes, more "
                f"than the {NAME_MAX} filesystems take: rename it, or upload a folder or archive "
                "holding it"
            )


def upload_order(plan: Sequence[PlannedUpload]) -> list[int]:
    """Indexes of ``plan`` with the smallest file of each folder first.

    The first PUT into a folder doubles as the check that the folder exists (a missing one
    is made then); sending the smallest file first keeps a failed check cheap, and by the
    time the bigger files go, their folders are known."""
    first: dict[str, int] = {}
    for index, item in enumerate(plan):
        best = first.get(item.folder)
        if best is None or item.source.size < plan[best].source.size:
            first[item.folder] = index
    probes = sorted(first.values())
    chosen = set(probes)
    return probes + [i for i in range(len(plan)) if i not in chosen]


#: How a kept file was found to be the one wanted, by policy: the manifest's ``checked``.
#: ``resume`` is a whole-folder rerun's: the staging record names this very selection.
KEPT_BY = {"never": "exists", "changed": "size+mtime", "resume": "size+staging-record"}


def keep_stored(policy: str, local: LocalFile, stored: RemoteEntry | None) -> bool:
    """``never``: keep any stored file; ``changed``: keep one of the same size, not older;
    ``resume``: keep what a staging folder's listing holds (sizes were checked with it)."""
    if stored is None or not stored.is_file or policy == "always":
        return False
    if policy in ("never", "resume"):
        return True
    local_mtime = os.stat(local.path).st_mtime
    fresh = stored.modified is not None and stored.modified + MTIME_SLACK >= local_mtime
    return stored.size == local.size and fresh


#: A folder of this many files or more is checked by one listing, not a HEAD per file.
LIST_FROM = 8


def looked_up_first(
    plan: Sequence[PlannedUpload], destination: Destination, makes_folders: bool
) -> str | None:
    """The destination, when folders may be made below it: its ``stat`` (no mkdir is ever
    refused) can then go while the collection is looked up. Only in runs that list a folder
    anyway: a few files into folders that exist still make no Transfer operation."""
    folder = destination.folder.rstrip("/")
    if not (makes_folders and folder and listed_folders(plan)) or in_home(destination):
        return None
    return folder if any(i.folder.startswith(folder + "/") for i in plan) else None


def listed_folders(items: Iterable[PlannedUpload]) -> dict[str, int]:
    """Folders receiving LIST_FROM files or more, and how many: each is listed at its end."""
    counts = collections.Counter(item.folder for item in items)
    return {folder: n for folder, n in counts.items() if n >= LIST_FROM}


def stored_entry(listings: Listings | None, item: PlannedUpload) -> RemoteEntry | None:
    """What a folder listing says is stored at ``item``'s collection path, if it was listed."""
    return ((listings or {}).get(item.folder) or {}).get(item.name)


def staging_folder(destination: Destination) -> str:
    """The hidden folder next to ``destination`` that a whole-folder upload fills first.

    Its name depends only on the destination, so a rerun after a failure finds it again.
    """
    if not destination.is_folder or destination.path == "/":
        raise DestinationError(
            f"whole-folder upload needs a destination folder below / (got "
            f"{destination.text!r}): name the new folder, e.g. /releases/1.2.0/"
        )
    parent, name = posixpath.split(destination.path.rstrip("/"))
    return posixpath.join(parent, hidden_sibling(name, ".globusput-staging")) + "/"


def restage(plan: Sequence[PlannedUpload], final: str, staging: str) -> list[PlannedUpload]:
    """The same files under ``staging`` instead of the folder ``final`` (both end in "/")."""
    return [
        PlannedUpload(item.source, staging + item.path[len(final) :], item.base_url)
        for item in plan
    ]


# -- downloads ------------------------------------------------------------------------------


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


def local_path(root: Path, path: str) -> Path:
    """Where a remote file lands: its whole collection path below ``root``."""
    parts = path.split("/")[1:]
    if not parts or any(p in ("", ".", "..") or "\0" in p for p in parts):
        raise DestinationError(
            f"{path!r} cannot be a file below the local folder: fetch it by another path"
        )
    return root.joinpath(*parts)


def plan_downloads(
    found: Sequence[tuple[str, RemoteEntry | None]],
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
) -> tuple[list[tuple[str, RemoteEntry | None]], list[str], list[tuple[str, str]]]:
    """The files ``specs`` name, given the listings of their folders (and of every folder
    below a folder spec): files found, the specs that named nothing, and the entries below
    that cannot be fetched (path as the listing gave it, and why). A spec that named
    nothing is quoted, with why when the listing tells (a folder named without its '/')."""
    found: dict[str, RemoteEntry | None] = {}
    missing = []
    refused: dict[str, str] = {}
    for spec in specs:
        if spec.is_folder:
            below = [
                (child(folder, name), entry)
                for folder, entries in walked.items()
                if _within(folder, spec.path)
                for name, entry in (entries or {}).items()
                if entry.is_file or entry.problem
            ]
            if not below:
                missing.append(repr(spec.text))
            for path, listed in below:
                if listed.problem is None:
                    found[path] = listed
                else:
                    refused[path] = f"the listing names it, but it {listed.problem}: not fetched"
            continue
        folder, name = posixpath.split(spec.path)
        entries = walked.get(folder)
        entry = (entries or {}).get(name)
        if entry is not None and not entry.is_file and entry.problem is None:
            missing.append(f"{spec.text!r} (a folder: end it with '/' to fetch it)")
            continue
        if entries is not None and (entry is None or not entry.is_file):
            missing.append(repr(spec.text))
            continue
        found[spec.path] = entry  # None: no listing (Transfer refused), the GET will tell
    return sorted(found.items()), missing, sorted(refused.items())


def _within(folder: str, top: str) -> bool:
    top = top.rstrip("/") or "/"
    return folder == top or folder.startswith(top.rstrip("/") + "/")


def folders_to_list(specs: list[Destination]) -> tuple[list[str], list[str]]:
    """Folders to walk (folder specs) and folders to list once (the parents of file specs)."""
    walk = sorted({s.path.rstrip("/") or "/" for s in specs if s.is_folder})
    once = sorted({posixpath.dirname(s.path) for s in specs if not s.is_folder})
    return walk, [f for f in once if not any(_within(f, w) for w in walk)]
