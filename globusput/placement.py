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

from globusput.body import sha256_of
from globusput.claim import Record, RecordStore, new_run, selection_digest
from globusput.errors import (
    AuthError,
    Cancelled,
    CollectionError,
    DestinationError,
    GlobusputError,
    NotPublished,
    PlacementFailed,
    ServiceError,
)
from globusput.paths import Destination, hidden_sibling
from globusput.plans import Listings, PlannedUpload, staging_folder

if TYPE_CHECKING:
    from globusput.channel import Channel
    from globusput.collection import Collection
    from globusput.folders import Folders
    from globusput.outcomes import Outcome


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
            and self.collection.allowed("rename", item.folder)
            and self.collection.renames_atomic
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


def rename_threshold(atomic: bool | None, threshold: int) -> int | None:
    """``--atomic`` / ``--no-atomic`` force either way; by default big files only (where
    Transfer refuses a rename, that folder's files then go in place, and the run says so)."""
    if atomic is False:
        return None
    return 0 if atomic else threshold


class StagedFolder:
    """Whole-folder publishing: fill a hidden staging folder, then one rename into place.

    The folder is claimed through globusput's record beside it (:mod:`globusput.claim`). On
    failure both stay, so a rerun of the same selection resumes: a staged file of the right
    size is kept, as the record proves it is this selection's. Anything else (a folder without
    that record, one of other files, files this run would not upload) stops the run before a
    byte is sent, and says why.
    """

    def __init__(self, folders: Folders, destination: Destination) -> None:
        self.folders = folders
        self.collection = folders.collection
        self.final = destination.path
        self.staging = staging_folder(destination)
        self.record: Record | None = None
        self.store: RecordStore | None = None

    def prepare(
        self, sent: list[PlannedUpload], channel: Channel, debug: Callable[[str], None]
    ) -> Listings | None:
        """Refuse an existing destination, claim the staging folder; on a resume, return the
        staged files that count as sent (by folder)."""
        self.refuse_existing()
        self.collection.listing(posixpath.dirname(self.final.rstrip("/")))  # how renames go
        if not self.collection.renames_atomic:
            raise CollectionError(
                "whole-folder upload needs a rename that moves the folder at once, and this "
                "collection's storage copies on rename (rename_supported: false): drop "
                "--whole-folder"
            )
        base_url = sent[0].base_url
        self.store = store = RecordStore(channel, base_url, self.final)
        hashes = [sha256_of(item.source.path) for item in sent]
        digest = selection_digest(sent, self.staging, hashes)
        self.record = Record(self.final, digest, len(sent), new_run())
        state = self.folders.make(self.staging)
        if state == "refused":
            raise CollectionError(
                "whole-folder upload needs Globus Transfer's mkdir and rename, which the "
                "collection refuses here: drop --whole-folder, or grant the identity access"
            )
        if state == "created":
            store.write(self.record)
            return None
        found = store.read()
        self._check_claim(found, store.spot.path)
        assert found is not None
        kept = self._staged(sent)
        store.write(self.record)  # taken over: the earlier run may not publish now
        debug(f"resuming {self.staging} (left by run {found.run}): {len(kept)} folders")
        return kept

    def refuse_existing(self) -> None:
        """Whole-folder upload publishes a new folder (checked by a dry run too)."""
        if self.collection.stat(self.final) is not None:
            raise DestinationError(
                f"{self.final} already exists on the collection: whole-folder upload publishes "
                "a new folder; choose a new destination (e.g. a version or build number)"
            )

    def _check_claim(self, found: Record | None, record: str) -> None:
        assert self.record is not None
        if found is None or found.destination != self.final:
            raise DestinationError(
                f"the staging folder {self.staging} exists without globusput's record "
                f"{record}: another run may be filling it right now, or something else made "
                f"it; wait for that run, or delete both in the Globus web app"
            )
        if found.selection != self.record.selection:
            raise DestinationError(
                f"the staging folder {self.staging} is being filled (or was left) by an "
                f"upload of other files ({found.files} files, run {found.run}): wait for that "
                f"run to publish, or delete {self.staging} and {record} to start again"
            )

    def _staged(self, sent: list[PlannedUpload]) -> Listings:
        """What the staging folder holds of this selection, at the selected sizes."""
        sizes = {item.path: item.source.size for item in sent}
        walked = self.collection.walk([self.staging.rstrip("/")])
        extra = sorted(
            posixpath.join(folder, name)
            for folder, entries in walked.items()
            for name, entry in (entries or {}).items()
            if (entry.is_file or entry.problem) and posixpath.join(folder, name) not in sizes
        )
        if extra:
            raise DestinationError(
                f"the staging folder {self.staging} left by an earlier run holds files this "
                f"run would not upload (such as {extra[0]}): delete that folder in the Globus "
                "web app, or upload the same selection again"
            )
        return {
            folder: {
                name: entry
                for name, entry in (entries or {}).items()
                if entry.is_file and sizes.get(posixpath.join(folder, name)) == entry.size
            }
            for folder, entries in walked.items()
        }

    def taken_over(self) -> NotPublished | None:
        """Only the run the record names publishes: another run of the same files may have
        taken the folder over (or someone removed the record)."""
        assert self.store is not None and self.record is not None
        holder = self.store.read()
        if holder == self.record:
            return None
        run = holder.run if holder is not None else "unknown"
        return NotPublished(
            f"another run ({run}) took over {self.staging} while this one filled it: "
            f"that run publishes {self.final}; this run published nothing"
        )

    def publish(self) -> None:
        taken = self.taken_over()
        if taken is not None:
            raise taken
        try:
            self.collection.rename(self.staging.rstrip("/"), self.final.rstrip("/"))
        except (ServiceError, AuthError) as exc:
            if self.collection.stat(self.final) is not None:  # another run was quicker
                raise NotPublished(
                    f"{self.final} was published meanwhile by another run: this run published "
                    f"nothing; delete {self.staging} and its record in the Globus web app"
                ) from None
            raise NotPublished(
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
            try:
                taken = self.taken_over()
            except (GlobusputError, Cancelled):
                taken = None
            if taken is not None:
                return taken
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
        assert self.store is not None
        if not self.store.remove():
            warn(
                f"the staging record {self.store.spot.path} could not be removed: it is "
                "hidden and harmless; delete it in the Globus web app"
            )
        return None
