#!/usr/bin/env python3
"""Release chores, kept out of the workflow files so they can be tested.

    python .github/release.py prepare 1.2.0   # set the version everywhere, date the changelog
    python .github/release.py check v1.2.0    # the tag, the package, the image label and the
                                              # changelog agree (the release workflow's gate)
    python .github/release.py tags 1.2.0 [EXISTING_TAG...]
                                              # the tags a release moves: v1, v1.2, each only
                                              # forward (a backport 1.1.5 moves v1.1, not v1)
    python .github/release.py pin-image 1.2.0 ghcr.io/owner/repo@sha256:DIGEST
                                              # action.yml runs the published image of 1.2.0

Tags: the maintainer's ``vX.Y.Z`` stays where it was pushed (it runs the action by building
the Dockerfile, as ``main`` does); the workflow adds a commit on top whose ``action.yml`` names
the published image by digest, and moves ``vX`` and ``vX.Y`` to it, only ever forward.

The version lives in three places that must move together: ``globusput/__init__.py`` (the
package, hence ``pyproject.toml``'s dynamic version), the ``Dockerfile``'s ``ARG VERSION``
default (the image label) and the ``CHANGELOG.md`` heading ``## X.Y.Z (YYYY-MM-DD)``.
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = re.compile(r"\d+\.\d+\.\d+")
INIT = "globusput/__init__.py"
DOCKERFILE = "Dockerfile"
CHANGELOG = "CHANGELOG.md"
ACTION = "action.yml"
PENDING = "unreleased"


class ReleaseError(Exception):
    """What is wrong, and what to do."""


def package_version(init: str) -> str:
    found = re.search(r'^__version__ = "([^"]+)"$', init, re.M)
    if not found:
        raise ReleaseError(f"{INIT} has no __version__ line")
    return found[1]


def image_version(dockerfile: str) -> str:
    found = re.search(r"^ARG VERSION=(\S+)$", dockerfile, re.M)
    if not found:
        raise ReleaseError(f"{DOCKERFILE} has no 'ARG VERSION=' line")
    return found[1]


def changelog_release(changelog: str) -> tuple[str, str]:
    """The newest release heading: (version, date or 'unreleased')."""
    found = re.search(r"^## (\d+\.\d+\.\d+) \(([^)]+)\)$", changelog, re.M)
    if not found:
        raise ReleaseError(f"{CHANGELOG} has no '## X.Y.Z (date)' heading")
    return found[1], found[2]


def versions(files: dict[str, str]) -> dict[str, str]:
    """Each place's version, by file."""
    return {
        INIT: package_version(files[INIT]),
        DOCKERFILE: image_version(files[DOCKERFILE]),
        CHANGELOG: changelog_release(files[CHANGELOG])[0],
    }


def check(tag: str, files: dict[str, str]) -> str:
    """The version a tag releases, if everything agrees with it."""
    if not re.fullmatch(r"v\d+\.\d+\.\d+", tag):
        raise ReleaseError(f"{tag!r} is not a release tag: tags look like v1.2.0")
    version = tag[1:]
    wrong = {path: found for path, found in versions(files).items() if found != version}
    if wrong:
        said = ", ".join(f"{path} says {found}" for path, found in wrong.items())
        raise ReleaseError(
            f"tag {tag}, but {said}: run 'python .github/release.py prepare {version}', "
            "commit, and tag that commit"
        )
    if changelog_release(files[CHANGELOG])[1] == PENDING:
        raise ReleaseError(
            f"{CHANGELOG}: {version} is still '{PENDING}': run 'python .github/release.py "
            f"prepare {version}' to date it"
        )
    return version


#: A changelog section not released yet: ``## Unreleased`` or ``## X.Y.Z (unreleased)``.
PENDING_HEADING = re.compile(
    r"^## (?:Unreleased|\d+\.\d+\.\d+ \(unreleased\))$", re.MULTILINE | re.IGNORECASE
)


def prepare(version: str, files: dict[str, str], today: datetime.date) -> dict[str, str]:
    """The files with ``version`` in all three places and its changelog section dated. Only
    a pending section becomes ``version``'s: a dated one is an earlier release's, never renamed."""
    if not VERSION.fullmatch(version):
        raise ReleaseError(f"{version!r} is not a version: give X.Y.Z")
    changed = dict(files)
    changed[INIT] = re.sub(
        r'^__version__ = "[^"]+"$', f'__version__ = "{version}"', files[INIT], flags=re.M
    )
    changed[DOCKERFILE] = re.sub(
        r"^ARG VERSION=\S+$", f"ARG VERSION={version}", files[DOCKERFILE], flags=re.M
    )
    first = re.search(r"^## .+$", files[CHANGELOG], re.M)
    if first is None or not PENDING_HEADING.fullmatch(first[0]):
        found = first[0] if first else "no '## ' heading"
        raise ReleaseError(
            f"{CHANGELOG}: the newest section is {found!r}, an earlier release's: add a "
            "'## Unreleased' section above it with this release's changes"
        )
    changed[CHANGELOG] = PENDING_HEADING.sub(
        f"## {version} ({today.isoformat()})", files[CHANGELOG], count=1
    )
    return changed


def moving_tags(version: str, existing: list[str] | None = None) -> list[str]:
    """The tags that follow the newest release of a major and of a minor version, among
    ``existing`` release tags: each moves only forward (a backport 1.1.5 after 1.2.0 moves
    v1.1, never v1)."""
    if not VERSION.fullmatch(version):
        raise ReleaseError(f"{version!r} is not a version: give X.Y.Z")
    mine = tuple(int(n) for n in version.split("."))
    released = [
        tuple(int(n) for n in tag[1:].split("."))
        for tag in existing or []
        if re.fullmatch(r"v\d+\.\d+\.\d+", tag)
    ]
    tags = []
    for width in (1, 2):
        if not any(r[:width] == mine[:width] and r > mine for r in released):
            tags.append("v" + ".".join(str(n) for n in mine[:width]))
    return tags


def pin_image(action: str, image: str, version: str) -> str:
    """action.yml for a release: run the published image, named by digest (a tag could be
    pushed over), instead of building the Dockerfile in every job that uses the action."""
    if not re.fullmatch(r"[a-z0-9./_-]+@sha256:[0-9a-f]{64}", image):
        raise ReleaseError(f"{image!r} is not an image named by digest (NAME@sha256:...)")
    lines = re.findall(r"^  image: .*$", action, re.M)
    if lines != ["  image: Dockerfile"]:
        raise ReleaseError(f"{ACTION} should say 'image: Dockerfile' once, found {lines}")
    pinned = f"  image: docker://{image} # {version}"
    return action.replace("  image: Dockerfile", pinned)


def _read(root: Path) -> dict[str, str]:
    return {name: (root / name).read_text() for name in (INIT, DOCKERFILE, CHANGELOG, ACTION)}


def main(argv: list[str], root: Path = ROOT) -> int:
    try:
        match argv:
            case ["prepare", version]:
                files = _read(root)
                for name, text in prepare(version, files, datetime.date.today()).items():
                    if text != files[name]:
                        (root / name).write_text(text)
                print(f"version {version} set in {INIT}, {DOCKERFILE} and {CHANGELOG}")
            case ["check", tag]:
                print(check(tag, _read(root)))
            case ["tags", version, *existing]:
                print("\n".join(moving_tags(version, existing)))
            case ["pin-image", version, image]:
                (root / ACTION).write_text(pin_image(_read(root)[ACTION], image.lower(), version))
            case _:
                print(__doc__, file=sys.stderr)
                return 2
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
