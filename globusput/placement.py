"""How an uploaded file reaches its final name: the placement strategies side by side.

What a reader of the collection can see, and what each costs beyond the PUT itself:

- **direct** — PUT to the final name. While the PUT runs a reader may see a growing file; an
  attempt that fails or is interrupted is deleted (one DELETE), so no truncated file stays.
  No Transfer call.
- **temporary name + rename** — PUT to a hidden name in the same folder, then one Transfer
  rename: a reader sees the old file or the complete new one, never a part. One Transfer call
  per file, which is why it is used by default only for files of at least
  ``--atomic-threshold`` bytes, whose own transfer time dwarfs a rename.
- **whole folder** (:class:`StagedFolder`) — every file goes direct into a hidden staging
  folder next to a destination folder that does not exist yet, and one rename moves the folder
  into place at the end: a reader sees nothing, then everything.
"""

from __future__ import annotations

import posixpath
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from globusput.errors import (
    AuthError,
    CollectionError,
    DestinationError,
    GlobusputError,
    PlacementFailed,
    ServiceError,
)
from globusput.paths import Destination, hidden_sibling
from globusput.plans import PlannedUpload, staging_folder

if TYPE_CHECKING:
    from globusput.collection import Collection
    from globusput.folders import Folders
    from globusput.outcomes import Outcome
    from globusput.remote import RemoteEntry


class Placement:
    """Direct for small files, temporary name + rename from ``rename_from`` bytes on.

    ``rename_from`` None means never rename (``--no-atomic``), 0 always (``--atomic``).
    """

    def __init__(self, collection: Collection, rename_from: int | None) -> None:
        self.collection = collection
        self.rename_from = rename_from

    def renames(self, item: PlannedUpload) -> bool:
        """Whether this file goes through a temporary name (decided when its PUT starts)."""
        return (
            self.rename_from is not None
            and item.source.size >= self.rename_from
            and self.collection.filesystem_ops
        )

    @staticmethod
    def temporary_path(item: PlannedUpload) -> str:
        folder, name = posixpath.split(item.path)
        return posixpath.join(
            folder, hidden_sibling(name, f".globusput-{secrets.token_hex(4)}.part")
        )

    def move_into_place(
        self, item: PlannedUpload, temp_path: str, discard: Callable[[str], None]
    ) -> None:
        """Rename the finished upload over the final name. Where rename does not replace, an
        old file is removed first: how Transfer says so is undocumented, so any refusal is
        judged by looking whether a file holds the final name."""
        try:
            self.collection.rename(temp_path, item.path)
        except ServiceError as exc:
            try:
                entry = self.collection.stat(item.path)
            except ServiceError:
                entry = None
            if entry is not None and entry.get("type") == "dir":
                raise PlacementFailed(
                    f"{item.path} on the collection is a folder, not a file: choose "
                    "another destination, or remove that folder"
                ) from None
            if entry is None:
                raise PlacementFailed(str(exc)) from None
            discard(item.url)
            try:
                self.collection.rename(temp_path, item.path)
            except ServiceError as again:
                raise PlacementFailed(str(again)) from None
        except AuthError as exc:
            raise PlacementFailed(str(exc), auth=True) from None


def rename_threshold(
    atomic: bool | None, threshold: int, rename_possible: bool, warn: Callable[[str], None]
) -> int | None:
    """``--atomic`` / ``--no-atomic`` force either way; by default big files only."""
    if atomic is False or (atomic is None and not rename_possible):
        return None
    if not rename_possible:
        warn("--atomic needs Transfer's rename, which is refused here: uploading in place")
        return None
    return 0 if atomic else threshold


class StagedFolder:
    """Whole-folder publishing: fill a hidden staging folder, then one rename into place.

    On failure the staging folder stays, so a rerun resumes into it (files are skipped there
    per ``--overwrite``, as in any folder). It is never published with anything this run did
    not select: if it holds other files, the run stops and says which.
    """

    def __init__(self, folders: Folders, destination: Destination) -> None:
        self.folders = folders
        self.collection = folders.collection
        self.final = destination.path
        self.staging = staging_folder(destination)

    def prepare(self, planned: set[str]) -> dict[str, dict[str, RemoteEntry]] | None:
        """Refuse an existing destination, make the staging folder; on a rerun, return what
        the staging folder holds (by folder), after checking it holds nothing unplanned."""
        if self.collection.stat(self.final) is not None:
            raise DestinationError(
                f"{self.final} already exists on the collection: whole-folder upload publishes "
                "a new folder; choose a new destination (e.g. a version or build number)"
            )
        state = self.folders.make(self.staging)
        if state == "refused":
            raise CollectionError(
                "whole-folder upload needs Globus Transfer's mkdir and rename, which the "
                "collection refuses here: drop --whole-folder, or grant the identity access"
            )
        if state == "created":
            return None
        walked = self.collection.walk([self.staging.rstrip("/")])
        found = {folder: entries or {} for folder, entries in walked.items()}
        extra = sorted(
            posixpath.join(folder, name)
            for folder, entries in found.items()
            for name, entry in entries.items()
            if entry.is_file and posixpath.join(folder, name) not in planned
        )
        if extra:
            raise DestinationError(
                f"the staging folder {self.staging} left by an earlier run holds files this "
                f"run would not upload (such as {extra[0]}): delete that folder in the Globus "
                "web app, or upload the same selection again"
            )
        return found

    def publish(self) -> None:
        try:
            self.collection.rename(self.staging.rstrip("/"), self.final.rstrip("/"))
        except (ServiceError, AuthError) as exc:
            raise type(exc)(
                f"{exc}; the files are complete in {self.staging}: rerun to publish them"
            ) from None

    def finish(
        self,
        outcomes: list[Outcome[PlannedUpload]],
        plan: list[PlannedUpload],
        complete: bool,
        say: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> GlobusputError | None:
        """Move a complete staging folder into place, or say where the files wait; the
        outcomes then name the published files. A failure to publish is returned, to be
        raised once the run is reported."""
        if not complete:
            warn(
                f"nothing was published: the uploaded files wait in {self.staging} on the "
                "collection; rerun the same upload to finish and publish them"
            )
            return None
        try:
            self.publish()
        except GlobusputError as exc:
            return exc
        for outcome, item in zip(outcomes, plan, strict=True):
            outcome.item = item
        say(f"published {self.final} with {len(plan)} files at once (staged in {self.staging})")
        return None
