"""Where each selected file goes on the collection: pure decisions, no I/O.

The destination matrix (folder vs exact file name, path vs URL) and collision rules live here so
they can be tested exhaustively without a server. Collection paths are plain decoded strings;
URLs are built by percent-encoding each segment, so names with spaces, ``#``, ``?``, ``%`` or
non-ASCII characters arrive exactly as named locally.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from globusput.errors import DestinationError, SelectionError
from globusput.selection import LocalFile


@dataclass(frozen=True)
class Destination:
    """A parsed destination: a collection path plus, for a URL, the host it named."""

    path: str  #: decoded collection path, always starting with "/"
    is_folder: bool  #: ended with "/": files keep their names below it
    netloc: str | None = None  #: "host:port" of a URL destination, checked against the collection
    text: str = ""  #: as the user gave it, for messages

    @property
    def folder(self) -> str:
        """The folder files are placed in (the parent, for an exact file name)."""
        return self.path if self.is_folder else posixpath.dirname(self.path)


@dataclass(frozen=True)
class PlannedUpload:
    """One file, its collection path and the collection's HTTPS server."""

    source: LocalFile
    remote_path: str
    base_url: str

    @property
    def url(self) -> str:
        """Where the file is PUT."""
        return url_for(self.base_url, self.remote_path)

    @property
    def folder(self) -> str:
        """The remote folder the file goes into (no trailing slash; "/" at the top)."""
        return posixpath.dirname(self.remote_path)

    @property
    def name(self) -> str:
        return posixpath.basename(self.remote_path)

    @property
    def label(self) -> str:
        return self.source.path

    @property
    def size(self) -> int:
        return self.source.size


#: The longest file or folder name (in bytes) that filesystems behind collections take.
NAME_MAX = 255


def parse_destination(text: str) -> Destination:
    """Parse a path (``/data/``, ``data/x.json``) or an ``https://`` URL on the collection."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        raise DestinationError(
            f"destination {text} is wrapped in quotes, which became part of it (docker "
            "--env-file and some CI settings keep them): remove the quotes"
        )
    netloc = None
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() != "https":
            raise DestinationError(
                f"destination {text!r} is not https: tokens are only sent over https; "
                "use the collection's https:// URL or a path such as /data/"
            )
        if parts.query or parts.fragment:
            raise DestinationError(
                f"destination {text!r} has a query or fragment: percent-encode ? and # in names"
            )
        netloc = _netloc(text)
        path = unquote(parts.path) or "/"
    else:
        path = text if text.startswith("/") else "/" + text
    segments = path.split("/")
    if "" in segments[1:-1]:
        raise DestinationError(
            f"destination {text!r} has an empty folder name ('//'), as when a CI variable in it "
            "came out empty: check the variables that build the destination"
        )
    if any(segment in (".", "..") for segment in segments):
        raise DestinationError(
            f"destination {text!r} contains a '.' or '..' segment: give the folder's full path"
        )
    if any("\x00" <= ch < " " for ch in path):
        raise DestinationError(f"destination {text!r} contains control characters")
    normal = "/" + "/".join(s for s in segments if s)
    is_folder = path.endswith("/") or normal == "/"
    if is_folder and normal != "/":
        normal += "/"
    return Destination(normal, is_folder, netloc, text)


def check_destination_host(destination: Destination, base_url: str) -> None:
    """Refuse a URL destination that is not on the collection, before any token is sent."""
    if destination.netloc is not None and destination.netloc != _netloc(base_url):
        raise DestinationError(
            f"destination {destination.text!r} is not on this collection's HTTPS server "
            f"{base_url}: globusput sends its token only to the collection; use a path "
            "such as /data/ or a URL on that server"
        )


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
        if len(_bytes(name)) > NAME_MAX:
            raise SelectionError(
                f"{local.path} would be stored under a name of {len(_bytes(name))} bytes, more "
                f"than the {NAME_MAX} filesystems take: rename it, or upload a folder or archive "
                "holding it"
            )


def hidden_sibling(name: str, suffix: str) -> str:
    """``.NAME`` + ``suffix`` within :data:`NAME_MAX` bytes: a name too long for that is cut,
    and a digest of the whole name keeps two cut names apart (and the same on a rerun)."""
    full = f".{name}{suffix}"
    if len(_bytes(full)) <= NAME_MAX:
        return full
    digest = hashlib.sha256(_bytes(name)).hexdigest()[:12]
    room = NAME_MAX - len(_bytes(suffix)) - len(digest) - 2
    cut = _bytes(name)[:room].decode("utf-8", "ignore")
    return f".{cut}~{digest}{suffix}"


def _bytes(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def upload_order(plan: Sequence[PlannedUpload]) -> list[int]:
    """Indexes of ``plan`` with the smallest file of each folder first.

    The first PUT into a folder doubles as the check that the folder exists (a missing one
    is made then); sending the smallest file first keeps a failed check cheap, and by the
    time the bigger files go, their folders are known.
    """
    first: dict[str, int] = {}
    for index, item in enumerate(plan):
        best = first.get(item.folder)
        if best is None or item.source.size < plan[best].source.size:
            first[item.folder] = index
    probes = sorted(first.values())
    chosen = set(probes)
    return probes + [i for i in range(len(plan)) if i not in chosen]


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
        PlannedUpload(item.source, staging + item.remote_path[len(final) :], item.base_url)
        for item in plan
    ]


def url_for(base_url: str, remote_path: str) -> str:
    """The HTTPS URL of a collection path, each segment percent-encoded."""
    # names that are not UTF-8 keep their bytes (surrogateescape), percent-encoded as they are
    return base_url.rstrip("/") + "/".join(
        quote(_bytes(s), safe="") for s in remote_path.split("/")
    )


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or 443
    except ValueError:
        raise DestinationError(f"{url!r} has an invalid port") from None
    return f"{host}:{port}"
