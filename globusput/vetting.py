"""Vetting what the patterns selected, before anything is uploaded: patterns that matched
nothing, credential files, and runs too large for one HTTPS request per file.

Selection itself (:mod:`globusput.selection`) only expands patterns; what a user must hear
about the result, and what must never be uploaded, is decided here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from globusput.errors import ConfigError, SelectionError
from globusput.selection import LocalFile, select_files

if TYPE_CHECKING:
    from globusput.settings import Settings


def select_uploads(
    settings: Settings, warn: Callable[[str], None], protected: dict[str, str]
) -> list[LocalFile]:
    """The files an upload's settings select, with what a user should hear about them;
    ``protected`` credential files (real path -> what it is) are never selected."""
    base_dir = str(settings.base_dir) if settings.base_dir is not None else None
    if base_dir is not None and not os.path.isdir(base_dir):
        raise ConfigError(f"GLOBUSPUT_BASE_DIR (--base-dir): {base_dir} is not a folder")
    selection = select_files(
        settings.paths,
        base_dir=base_dir,
        include_hidden=settings.include_hidden,
        follow_external_symlinks=settings.follow_external_symlinks,
    )
    if selection.unmatched or selection.all_excluded:
        said = []
        if selection.unmatched:
            said.append("no files match " + ", ".join(repr(p) for p in selection.unmatched))
        if selection.all_excluded:
            excludes = ", ".join(repr(p) for p in settings.paths if p.startswith("!"))
            said.append(
                "every match of "
                + ", ".join(repr(p) for p in selection.all_excluded)
                + f" is excluded by {excludes}"
            )
        message = "; ".join(said)
        if settings.if_no_files_found == "error":
            raise SelectionError(
                f"{message}: check the pattern, or set --if-no-files-found warn to go on"
            )
        if settings.if_no_files_found == "warn":
            warn(message)
    if not selection.files and settings.if_no_files_found != "ignore":
        warn("nothing to upload")
    secret = settings.client_secret
    refuse_credentials(selection.files, protected, [secret.get_secret_value()] if secret else [])
    advice = scale_advice(selection.files)
    if advice and settings.source_collection_id is None:
        warn(advice)
    return selection.files


#: Past these, one HTTPS PUT per file stops being the right tool (README: "Scale").
MANY_FILES = 10_000
MUCH_DATA = 100 << 30


def scale_advice(files: Sequence[LocalFile]) -> str | None:
    """A warning for selections better moved by a Globus Transfer task, or None."""
    total = sum(f.size for f in files)
    if len(files) <= MANY_FILES and total <= MUCH_DATA:
        return None
    return (
        f"{len(files)} files, {total / (1 << 30):.1f} GiB: uploading this one HTTPS request per "
        "file will be slow; pack many small files into archives, or, where a Globus "
        "collection sees these files, hand the upload to a Globus Transfer task: set "
        "GLOBUSPUT_SOURCE_COLLECTION_ID and GLOBUSPUT_SOURCE_PATH (see the README's Scale)"
    )


#: Files up to this size are read for credentials; a credential file is small.
CREDENTIAL_SCAN_LIMIT = 1 << 20


def refuse_credentials(
    files: Sequence[LocalFile], protected: dict[str, str], secrets: Sequence[str]
) -> None:
    """Never upload a credential: the files in ``protected`` (real path -> what it is) nor any
    small file holding one of ``secrets``. A broad pattern in a workspace that holds the
    client-config file would otherwise publish the secret."""
    problems = []
    wanted = [s.encode() for s in secrets if len(s) >= 8]
    for local in files:
        real = os.path.realpath(local.path)
        what = protected.get(real)
        if what is None and wanted and local.size <= CREDENTIAL_SCAN_LIMIT:
            try:
                with open(local.path, "rb") as stream:
                    data = stream.read(CREDENTIAL_SCAN_LIMIT + 1)
            except OSError:
                data = b""  # reading it for upload will say why
            if any(secret in data for secret in wanted):
                what = "a file holding the client secret"
        if what is not None:
            problems.append(
                f"refusing to upload {local.path} (matched by {local.pattern!r}): it is {what}; "
                f"exclude it with '!{local.path}' and keep credentials out of uploaded folders"
            )
    if problems:
        raise SelectionError("; ".join(problems))
