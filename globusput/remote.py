"""What Transfer says about a collection, read without trusting it: the endpoint document
(where the collection serves HTTPS, what kind of collection it is) and listing entries (a
name that must be one path segment, a size that must be a count)."""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from globusput.errors import ServiceError
from globusput.paths import segment_problem


@dataclass(frozen=True)
class RemoteEntry:
    """One entry of a Transfer listing: enough to verify a size or judge a stored copy's age."""

    is_file: bool
    size: int
    modified: float | None  #: POSIX seconds, None when the listing did not say
    #: why this entry cannot be used (its name is not one path segment, its size no count)
    problem: str | None = None

    @classmethod
    def from_listing(cls, entry: dict[str, Any]) -> RemoteEntry:
        modified = None
        try:
            stamp = datetime.datetime.fromisoformat(str(entry.get("last_modified")))
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=datetime.timezone.utc)
            modified = stamp.timestamp()
        except ValueError:
            pass
        size = entry.get("size") or 0
        kind = entry.get("type")
        problem = segment_problem(str(entry.get("name")))
        if kind not in ("file", "dir"):  # invalid_symlink (observed): a link to nothing
            problem = problem or f"is neither a file nor a folder (type {str(kind)[:20]!r})"
        if not isinstance(size, int) or size < 0:
            size, problem = 0, problem or f"has a size that is no count ({str(size)[:20]!r})"
        return cls(kind == "file", size, modified, problem)


#: ``entity_type`` of a mapped collection, and of an endpoint (the server, not a collection).
MAPPED = "GCSv5_mapped_collection"
ENDPOINT = "GCSv5_endpoint"


@dataclass(frozen=True)
class CollectionInfo:
    id: str
    base_url: str  #: the collection's ``https_server``, without a trailing slash ("" if none)
    display_name: str
    entity_type: str
    high_assurance: bool
    non_functional: bool = False

    @classmethod
    def from_document(cls, collection_id: str, doc: dict[str, Any]) -> CollectionInfo:
        return cls(
            collection_id,
            str(doc.get("https_server") or "").rstrip("/"),
            str(doc.get("display_name") or collection_id),
            str(doc.get("entity_type") or ""),
            bool(doc.get("high_assurance")),
            bool(doc.get("non_functional")),
        )

    @property
    def needs_data_access(self) -> bool:
        """Mapped collections short of high assurance want ``data_access`` consent, for
        Transfer (a dependency) and on the collection's own token."""
        return self.entity_type == MAPPED and not self.high_assurance


# -- walking what listings say, without trusting it --------------------------------------

Listing = dict[str, "RemoteEntry"]


def walk_limit(where: str, what: str) -> str:
    return (
        f"the folders being fetched go {what} (at {where}; a listing that contains itself?): "
        "fetch folders further down, or name the files"
    )


def repeated(folder: str, tops: set[str], prints: dict[str, frozenset[Any]]) -> str | None:
    """The folder above ``folder`` (up to where the walk began) whose listing is the same as
    its own: the same folder seen again through a link or a lie, never to be entered."""
    above = folder
    while above not in tops and above != "/":
        above = posixpath.dirname(above)
        if prints.get(above) == prints[folder]:
            return above
    return None


def fingerprint(entries: Listing | None) -> frozenset[Any]:
    return frozenset((n, e.is_file, e.size, e.modified) for n, e in (entries or {}).items())


#: How deep and how large a walk below the folders asked for may go.
WALK_DEPTH = 64
WALK_ENTRIES = 1_000_000


def walk(
    listings: Callable[[list[str]], Mapping[str, Listing | None]], folders: Iterable[str]
) -> dict[str, Listing | None]:
    """``folders`` and every folder below them, one listing each, a level at a time (the
    folders of a level are listed together): calls grow with folders, never files. The
    collection says what is below: only folders whose names are one segment are entered,
    depth and entries are bounded, and a folder whose listing repeats one above it (a
    listing that contains itself) ends the walk."""
    found: dict[str, Listing | None] = {}
    level = list(dict.fromkeys(folders))
    tops, prints = set(level), {}
    depth = entries_seen = 0
    while level:
        depth += 1
        if depth > WALK_DEPTH:
            raise ServiceError(walk_limit(level[0], f"more than {WALK_DEPTH} levels deep"))
        listed = listings(level)
        found.update(listed)
        entries_seen += sum(len(entries or {}) for entries in listed.values())
        if entries_seen > WALK_ENTRIES:
            raise ServiceError(walk_limit(level[0], f"more than {WALK_ENTRIES} entries"))
        for folder, entries in listed.items():
            prints[folder] = fingerprint(entries)
            if entries and (again := repeated(folder, tops, prints)):
                raise ServiceError(walk_limit(folder, f"round in a circle, back to {again}"))
        level = [
            path
            for folder, entries in listed.items()
            for name, entry in (entries or {}).items()
            if not entry.is_file
            and entry.problem is None
            and (path := posixpath.join(folder, name)) not in found
        ]
    return found
