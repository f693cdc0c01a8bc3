"""Paths on the collection and their URLs: pure rules shared by both directions, no I/O.

The destination matrix (folder vs exact file name, path vs URL) lives here so it can be tested
exhaustively without a server. Collection paths are plain decoded strings; URLs are built by
percent-encoding each segment, so names with spaces, ``#``, ``?``, ``%`` or non-ASCII
characters arrive exactly as named locally. A URL given by the user must be the collection's:
the token goes nowhere else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from globusput.errors import ConfigError, DestinationError


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


def in_home(destination: Destination) -> bool:
    """``/~/...``: the home folder, which Transfer resolves and the HTTPS server does not."""
    return destination.netloc is None and (
        destination.path in ("/~", "/~/") or destination.path.startswith("/~/")
    )


def absolute_folder(where: object) -> str | None:
    """A folder path as Transfer gave it, if it is one (absolute; no '.', '..', '//',
    control characters, nor /~/ again), without its trailing '/'; else None."""
    if not isinstance(where, str) or not where.startswith("/"):
        return None
    try:
        found = parse_destination(where.rstrip("/") + "/")
    except DestinationError:
        return None
    return None if in_home(found) else found.path.rstrip("/")


def rebase_home(destination: Destination, home: str) -> Destination:
    """``/~/x`` as ``<home>/x``, once Transfer has said where the home folder is."""
    if not in_home(destination):
        return destination
    rest = destination.path[len("/~") :]
    path = home.rstrip("/") + (rest or "/")
    return dataclasses.replace(destination, path=path if path != "" else "/")


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


def child(folder: str, name: str) -> str:
    """``folder/name`` as text, whatever the name holds (a name starting with ``/`` does not
    replace the folder, as it would with :func:`posixpath.join`)."""
    return f"{folder.rstrip('/')}/{name}"


def segment_problem(name: str) -> str | None:
    """Why a name from a listing (the collection's word, trusted in nothing) cannot be one
    entry of its folder, or None: joined to a path it could otherwise climb out of the folder
    or replace it (``..``, ``/etc/passwd``, a Windows ``\\``). Other characters, line breaks
    included, are a name's own: files may be named so, and come back byte for byte (the log
    shows them inert)."""
    if name in ("", ".", ".."):
        return "is empty, '.' or '..'"
    if "/" in name or "\\" in name:
        return "holds a slash"
    if "\0" in name:
        return "holds a NUL character"
    return None


def check_destination_host(destination: Destination, base_url: str) -> None:
    """Refuse a URL destination that is not on the collection, before any token is sent."""
    if destination.netloc is not None and destination.netloc != _netloc(base_url):
        raise DestinationError(
            f"destination {destination.text!r} is not on this collection's HTTPS server "
            f"{base_url}: globusput sends its token only to the collection; use a path "
            "such as /data/ or a URL on that server"
        )


def hidden_sibling(name: str, suffix: str) -> str:
    """``.NAME`` + ``suffix`` within :data:`NAME_MAX` bytes: a name too long for that is cut,
    and a digest of the whole name keeps two cut names apart (and the same on a rerun)."""
    full = f".{name}{suffix}"
    if len(name_bytes(full)) <= NAME_MAX:
        return full
    digest = hashlib.sha256(name_bytes(name)).hexdigest()[:12]
    room = NAME_MAX - len(name_bytes(suffix)) - len(digest) - 2
    cut = name_bytes(name)[:room].decode("utf-8", "ignore")
    return f".{cut}~{digest}{suffix}"


def name_bytes(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def url_for(base_url: str, path: str) -> str:
    """The HTTPS URL of a collection path, each segment percent-encoded."""
    # names that are not UTF-8 keep their bytes (surrogateescape), percent-encoded as they are
    return base_url.rstrip("/") + "/".join(quote(name_bytes(s), safe="") for s in path.split("/"))


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or 443
    except ValueError:
        raise DestinationError(f"{url!r} has an invalid port") from None
    return f"{host}:{port}"
