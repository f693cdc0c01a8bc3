"""Which local files are uploaded, and where each sits relative to the destination folder.

Placement follows one rule users can predict from the pattern alone (unlike least-common-ancestor
trimming): a match keeps its path below the pattern's *anchor*, the components before the first
wildcard, or for a literal path its parent folder. ``--base-dir`` replaces every anchor.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from wcmatch import glob

from globusput.errors import SelectionError

_FLAGS = glob.GLOBSTAR | glob.BRACE | glob.NODOTDIR | glob.FORCEUNIX
_EXCLUDE_FLAGS = _FLAGS | glob.DOTGLOB


@dataclass(frozen=True)
class LocalFile:
    """A regular file to upload and its place below the destination folder."""

    path: str  #: as the user's pattern named it (relative to the working directory if it was)
    relative: PurePosixPath  #: where it goes below the destination folder
    size: int
    pattern: str = ""  #: the pattern that selected it, for messages about it


@dataclass
class Selection:
    files: list[LocalFile]
    unmatched: list[str] = field(default_factory=list)  #: patterns that matched nothing
    #: patterns whose every match an ``!exclude`` removed
    all_excluded: list[str] = field(default_factory=list)


def split_patterns(patterns: Iterable[str]) -> tuple[list[str], list[str]]:
    """Separate include patterns from ``!exclude`` patterns."""
    includes, excludes = [], []
    for pattern in patterns:
        if pattern.startswith("!"):
            excludes.append(pattern[1:])
        else:
            includes.append(pattern)
    return includes, excludes


def anchor_of(pattern: str) -> str:
    """The folder a pattern's matches are placed relative to.

    >>> anchor_of("dist/**/*.whl"), anchor_of("build/science.json"), anchor_of("**/*.log")
    ('dist', 'build', '')
    """
    parts = pattern.rstrip("/").split("/")
    for index, part in enumerate(parts):
        if glob.is_magic(part, flags=_FLAGS):
            return "/".join(parts[:index]) or ("/" if pattern.startswith("/") else "")
    return os.path.dirname(pattern.rstrip("/")) or ("/" if pattern.startswith("/") else "")


def relative_to_anchor(path: str, anchor: str) -> PurePosixPath:
    """Remote placement of ``path`` below ``anchor``, refusing anything that would climb out."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(anchor or "."))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        raise SelectionError(
            f"{path} is outside --base-dir {anchor}: choose a base folder that contains every match"
        )
    return PurePosixPath(*rel.split(os.sep))


def is_excluded(path: str, excludes: Sequence[str]) -> bool:
    """True when the path, or a folder it is in, matches an ``!exclude`` pattern."""
    if not excludes:
        return False
    normal = os.path.normpath(path)
    candidates = {normal, os.path.relpath(os.path.abspath(normal))}
    for candidate in list(candidates):
        head = os.path.dirname(candidate)
        while head and head not in (os.sep, os.curdir):
            candidates.add(head)
            head = os.path.dirname(head)
    return any(glob.globmatch(c, excludes, flags=_EXCLUDE_FLAGS) for c in candidates)


def select_files(
    patterns: Sequence[str],
    *,
    base_dir: str | None = None,
    include_hidden: bool = False,
    follow_external_symlinks: bool = False,
) -> Selection:
    """Expand patterns against the working directory into files with their placements.

    Raises :class:`SelectionError` for what cannot be uploaded: special files, broken or looping
    symlinks, symlinks leading outside the tree, files outside ``base_dir``.
    """
    includes, excludes = split_patterns(patterns)
    flags = _FLAGS | (glob.DOTGLOB if include_hidden else 0)
    jail = os.path.realpath(base_dir or os.curdir)
    files: list[LocalFile] = []
    seen: set[tuple[str, PurePosixPath]] = set()
    unmatched: list[str] = []
    all_excluded: list[str] = []
    problems: list[str] = []
    for pattern in includes:
        anchor = base_dir if base_dir is not None else anchor_of(pattern)
        found = excluded = 0
        for path in _expand(pattern, flags, problems):
            if is_excluded(path, excludes):
                excluded += 1
                continue
            found += 1
            if _wildcard_reached(path, pattern) and not include_hidden and _hidden_in(path, jail):
                continue  # a link to a hidden file is hidden too
            problem = _check_file(path, jail, follow_external_symlinks)
            if problem:
                problems.append(problem)
                continue
            try:
                relative = relative_to_anchor(path, anchor)
            except SelectionError as exc:
                problems.append(str(exc))
                continue
            key = (os.path.realpath(path), relative)
            if key not in seen:
                seen.add(key)
                files.append(LocalFile(path, relative, os.stat(path).st_size, pattern))
        if not found:
            (all_excluded if excluded else unmatched).append(pattern)
    if problems:
        raise SelectionError("; ".join(dict.fromkeys(problems)))
    return Selection(files, unmatched, all_excluded)


def _expand(pattern: str, flags: int, problems: list[str]) -> list[str]:
    """Matches of one pattern, with every folder expanded into the files below it (cp -r).

    What a pattern names literally is followed even through a symlink; wildcards and folder
    walks never enter a symlinked folder, wherever it sits in the path.
    """
    literal = _literal_prefix(pattern, flags)
    if glob.is_magic(pattern, flags=flags):
        matches = sorted(glob.glob(pattern, flags=flags))
    elif os.path.lexists(pattern):
        matches = [pattern.rstrip("/") or "/"]
    else:
        return []
    out: list[str] = []
    for match in matches:
        if _through_symlinked_folder(match, literal):
            continue
        if os.path.isdir(match):
            walk = glob.escape(match, unix=True).rstrip("/") + "/**"
            for found in sorted(glob.glob(walk, flags=flags)):
                if os.path.isdir(found) or _through_symlinked_folder(found, match):
                    continue
                out.append(found)
        else:
            out.append(match)
    return out


def _literal_prefix(pattern: str, flags: int) -> str:
    """The part of a pattern named without wildcards: the whole of a literal path."""
    parts = pattern.rstrip("/").split("/")
    for index, part in enumerate(parts):
        if glob.is_magic(part, flags=flags):
            return "/".join(parts[:index])
    return pattern.rstrip("/")


def _through_symlinked_folder(path: str, literal: str) -> bool:
    """Whether a folder of ``path`` below the ``literal`` prefix is a symlink."""
    parts = path.split("/")
    start = len(literal.split("/")) if literal else 0
    return any(
        os.path.islink("/".join(parts[: i + 1]) or "/") for i in range(start, len(parts) - 1)
    )


def _wildcard_reached(path: str, pattern: str) -> bool:
    return os.path.normpath(path) != os.path.normpath(pattern)


def _hidden_in(path: str, jail: str) -> bool:
    """Whether the file a path resolves to is hidden below ``jail`` (or in its own name)."""
    real = os.path.realpath(path)
    if os.path.commonpath([real, jail]) != jail:
        return os.path.basename(real).startswith(".")
    return any(p.startswith(".") for p in os.path.relpath(real, jail).split(os.sep))


def _check_file(path: str, jail: str, follow_external: bool) -> str | None:
    """Why ``path`` cannot be uploaded, or None."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if os.path.islink(path):
            return f"{path} is a broken or looping symlink ({exc.strerror}): fix or exclude it"
        return f"cannot read {path}: {exc.strerror}"
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "not a regular file"
        return f"{path} is {kind}: only regular files can be uploaded; exclude it with !{path}"
    target = os.path.realpath(path)
    linked = os.path.islink(path) or _through_symlinked_folder(path, "")
    if linked and not follow_external and os.path.commonpath([target, jail]) != jail:
        what = "a symlink to" if os.path.islink(path) else "reached through a symlinked folder as"
        return (
            f"{path} is {what} {target}, outside {jail}: pass "
            "--follow-external-symlinks if that file is meant to be uploaded"
        )
    if not os.access(path, os.R_OK):
        return f"cannot read {path}: permission denied"
    return None
