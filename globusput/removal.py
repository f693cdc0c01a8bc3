"""What ``delete`` and ``prune`` may remove, decided without I/O from the paths given and one
listing, so every rule is tested on its own.

Deletion cannot be undone, so the rules lean to keeping: never ``/`` or the home folder
(``/~/``), never a path with ``.`` or ``..``; prune removes only direct entries of the folder
named, by the names its listing gives, and keeps what it cannot judge: names that are not one
path segment (another party's listing could say ``..``), entries without a readable time,
hidden entries (a running ``--whole-folder`` upload's staging folder and record start with a
dot) and the newest ``keep``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from globusput.errors import DestinationError
from globusput.paths import child, parse_destination, segment_problem
from globusput.remote import RemoteEntry


def removable(text: str) -> str:
    """A path that may be deleted, without its trailing '/', or why not."""
    if not text.strip().startswith("/"):
        raise DestinationError(
            f"{text!r} is not a path on the collection: give it from the top, e.g. "
            f"/{text.strip().lstrip('./')}"
        )
    path = parse_destination(text).path.rstrip("/")
    if path in ("", "/~"):
        raise DestinationError(
            f"refusing to delete {text!r}: that is the whole collection (or your home folder "
            "on it); name the folders inside it to delete"
        )
    return path


def rebased(path: str, home: str) -> str:
    """``/~/x`` as ``<home>/x`` once Transfer has said where home is."""
    return home.rstrip("/") + path[2:] if path.startswith("/~/") else path


def parent(path: str) -> str:
    return posixpath.dirname(path) or "/"


def present(
    paths: list[str], listings: Mapping[str, Mapping[str, object] | None], unlisted: set[str]
) -> tuple[list[str], list[str]]:
    """The paths there (or in a folder Transfer would not list: asked to delete all the
    same), and those their folder's listing lacks."""
    there: list[str] = []
    absent: list[str] = []
    for path in paths:
        listing = listings.get(parent(path))
        known = parent(path) in unlisted or posixpath.basename(path) in (listing or {})
        (there if known else absent).append(path)
    return there, absent


def still_listed(
    paths: list[str], listings: Mapping[str, Mapping[str, object] | None]
) -> list[str]:
    return [p for p in paths if posixpath.basename(p) in (listings.get(parent(p)) or {})]


@dataclass
class Pruning:
    """A folder's entries sorted out: what goes and what stays, each with its reason."""

    folder: str
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    #: entries never considered, with why (unusable name, no time, hidden)
    left: dict[str, str] = field(default_factory=dict)

    def paths(self) -> list[str]:
        return [child(self.folder, name) for name in self.removed]


def prune(folder: str, listing: Mapping[str, RemoteEntry], keep: int) -> Pruning:
    """Keep the ``keep`` newest entries of ``folder`` (by the listing's time; the name
    decides between equal times, later names being newer: ``nightly-2026-11-30`` after
    ``-29``); the rest go. Entries that cannot be judged are left and said."""
    pruning = Pruning(folder.rstrip("/") or "/")
    dated: list[tuple[float, str]] = []
    for name, entry in listing.items():
        problem = segment_problem(name)  # a link to nothing is judged like any entry
        if problem is not None:
            pruning.left[name] = f"its name {problem}"
        elif name.startswith("."):
            pruning.left[name] = "it is hidden (a staging folder or record of a running upload)"
        elif entry.modified is None:
            pruning.left[name] = "the listing gives no time for it"
        else:
            dated.append((entry.modified, name))
    dated.sort(reverse=True)
    pruning.kept = [name for _, name in dated[:keep]]
    pruning.removed = sorted(name for _, name in dated[keep:])
    return pruning


def check_pruned(pruning: Pruning, after: Mapping[str, RemoteEntry] | None) -> list[str]:
    """What the listing after the task says went wrong: removed entries still there, kept
    ones gone."""
    if after is None:
        return [f"{pruning.folder}/ could not be listed afterwards to check it"]
    problems = [f"{child(pruning.folder, n)} is still there" for n in pruning.removed if n in after]
    problems += [f"{child(pruning.folder, n)} is gone" for n in pruning.kept if n not in after]
    return problems
