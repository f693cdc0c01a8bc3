"""Where a fetched file lands: its local folders, made without crossing a link that leads
outside, and what becomes of a file already there.

A local file at a file's place is kept when it is the same (its size, and the manifest's
SHA-256 or the listed time, which every copy globusput makes carries), as rsync's quick check
does: a rerun of a large get fetches only what changed. One that differs is replaced, and
the run's line says so (``aws s3 cp`` and ``gsutil cp`` replace without a word);
``--overwrite never`` keeps any, ``changed`` keeps one not older than the collection's copy.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from globusput.body import sha256_of
from globusput.errors import Permanent
from globusput.outcomes import Outcome
from globusput.plans import MTIME_SLACK, PlannedDownload


def local_file(item: PlannedDownload) -> os.stat_result | None:
    """The regular file already at ``item``'s local place, if any (a link is not one, nor
    anything reached through a link that leads outside the local folder)."""
    try:
        there = os.lstat(item.local)
    except OSError:
        return None
    inside = Path(os.path.realpath(item.local)).is_relative_to(os.path.realpath(item.root))
    return there if stat.S_ISREG(there.st_mode) and inside else None


def make_folders(item: PlannedDownload) -> None:
    """The local folders of ``item``, one level at a time below its root, none made through
    a symbolic link that leads outside the root (a workspace can hold links: a checked-out
    repository's, say); what exists is checked before anything below it is made."""
    item.root.mkdir(parents=True, exist_ok=True)
    root = Path(os.path.realpath(item.root))
    folder = item.root
    for part in item.local.parent.relative_to(item.root).parts:
        folder = folder / part
        if not Path(os.path.realpath(folder)).is_relative_to(root):
            raise Permanent(
                f"{folder} leads outside {item.root} through a symbolic link: fetch into a "
                "folder without links"
            )
        if not folder.exists():
            folder.mkdir(exist_ok=True)  # another worker may be making it too
        elif not folder.is_dir():
            raise Permanent(f"{folder} is a file: remove it or fetch into another folder")


def keeps(
    item: PlannedDownload, there: os.stat_result, overwrite: str
) -> Outcome[PlannedDownload] | None:
    """The outcome of a local file that stays, or None: fetch (and replace it)."""
    same_size = item.size is None or there.st_size == item.size
    listed = item.modified
    if overwrite == "never":
        how = "exists"
    elif item.sha256 is not None:  # a manifest's SHA-256 decides alone
        same = same_size and sha256_of(str(item.local)) == item.sha256
        how = "size+sha256" if same else ""
    elif same_size and listed is not None and abs(there.st_mtime - listed) < MTIME_SLACK:
        how = "size+mtime"
    elif overwrite == "changed" and same_size and listed is not None:
        how = "size+mtime" if there.st_mtime >= listed else ""
    else:
        how = ""
    if not how:
        return None
    kept = Outcome(item, "skipped", item.sha256 if how == "size+sha256" else None)
    kept.size, kept.checked = there.st_size, how
    return kept
