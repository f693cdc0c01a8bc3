"""An upload handed to Globus Transfer: one task from the collection that already sees this
runner's files (a self-hosted runner beside a cluster's file system) to the destination.

Transfer moves and checksums the bytes with its own parallel streams and restarts; globusput
keeps what makes an upload globusput's: the same selection and layout, ``--overwrite`` as
Transfer's sync levels, and a report whose every "uploaded" was checked: the task must name
the file among its successful transfers, and the destination's listing must show the local
file's size and modification time (Transfer preserves it), so a source path that points at
other files fails instead of publishing them. SHA-256s in the manifest are the local files'.

Transfer requests: the source collection's endpoint document, a submission id, the
submission, the task's polls (see :mod:`globusput.tasks`), its successful transfers (a page per
1,000 files) and one listing per destination folder; Auth: one more grant where a mapped
collection needs ``data_access`` for the task.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import PurePath
from typing import Literal

import globus_sdk
from globus_sdk.scopes import GCSCollectionScopes, TransferScopes

from globusput.body import sha256_of
from globusput.collection import Collection
from globusput.errors import (
    EXIT_AUTH,
    CollectionError,
    Interrupted,
    SelectionError,
    UploadFailed,
)
from globusput.inert import shown
from globusput.outcomes import INTERRUPTED, Outcome, raise_if_failed
from globusput.plans import KEPT_BY, PlannedUpload, stored_entry
from globusput.refusals import service_error
from globusput.remote import ENDPOINT, CollectionInfo, Listing, RemoteEntry
from globusput.report import Reporter
from globusput.selection import LocalFile
from globusput.settings import Settings
from globusput.summary import finish_upload, show
from globusput.tasks import TaskFailed, deadline, ending, label, submit, successes, watch

#: Past these, ``--engine auto`` hands an upload to a Transfer task (a source collection set).
TASK_FILES = 1_000
TASK_BYTES = 10 << 30
#: ``--overwrite`` as Transfer's sync level: always copy; keep what exists; copy when the
#: size differs or the local file is newer.
SYNC: dict[str, Literal["exists", "mtime"] | None] = {
    "always": None,
    "never": "exists",
    "changed": "mtime",
}
#: Modification times that differ by more are not the same file's (listings give seconds).
SAME_TIME = 1.0


def by_task(settings: Settings, files: Sequence[LocalFile]) -> bool:
    """Whether this upload goes as a Transfer task."""
    if settings.source_collection_id is None or settings.engine == "https":
        return False
    if settings.engine == "task":
        return True
    if settings.whole_folder or settings.atomic or not settings.mkdir:
        return False  # only HTTPS publishes at once, or leaves folders unmade
    return len(files) > TASK_FILES or sum(f.size for f in files) > TASK_BYTES


def source_paths(files: Sequence[LocalFile], base: str, source_root: str) -> list[str]:
    """Each file's path on the source collection: its place below the base folder, below
    the source path. A file outside the base folder has none."""
    root = os.path.abspath(base)
    found, outside = [], []
    for local in files:
        relative = os.path.relpath(os.path.abspath(local.path), root)
        if relative.split(os.sep)[0] in (os.curdir, os.pardir):
            outside.append(local.path)
        else:
            found.append(source_root.rstrip("/") + "/" + PurePath(relative).as_posix())
    if outside:
        raise SelectionError(
            f"{outside[0]} (and {len(outside) - 1} more) is not below the base folder {base}: "
            "the source collection sees it there (GLOBUSPUT_SOURCE_PATH); set --base-dir to a "
            "folder above every file"
        )
    return found


def task_scope(*collections: CollectionInfo) -> str:
    """Transfer's scope with ``data_access`` of every mapped collection the task touches."""
    scope = TransferScopes.all
    for info in collections:
        if info.needs_data_access:
            access = GCSCollectionScopes(info.id).data_access.with_optional(True)
            scope = scope.with_dependency(access)
    return str(scope)


def source_info(collection: Collection, source_id: str) -> CollectionInfo:
    """The source collection's endpoint document: one Transfer request."""
    try:
        document = collection.guarded(lambda client: client.get_endpoint(source_id))
    except globus_sdk.TransferAPIError as exc:
        if exc.http_status == 404 or "NotFound" in str(exc.code):
            raise CollectionError(
                f"source collection {source_id} was not found by Globus Transfer: check "
                "GLOBUSPUT_SOURCE_COLLECTION_ID"
            ) from None
        what = "look up the source collection"
        raise service_error(exc, what, source_id, collection.identity) from None
    info = CollectionInfo.from_document(source_id, dict(document.data))
    if info.entity_type == ENDPOINT or info.non_functional:
        raise CollectionError(
            f"source {info.display_name} ({source_id}) is an endpoint, not a collection: set "
            "GLOBUSPUT_SOURCE_COLLECTION_ID to the collection that sees this runner's files"
        )
    return info


def transfer_data(
    settings: Settings, plan: Sequence[PlannedUpload], sources: Sequence[str]
) -> globus_sdk.TransferData:
    data = globus_sdk.TransferData(
        str(settings.source_collection_id),
        str(settings.collection_id),
        label=label("upload", os.environ),
        sync_level=SYNC[settings.overwrite] or globus_sdk.MISSING,
        verify_checksum=True,
        preserve_timestamp=True,
        fail_on_quota_errors=True,
        deadline=deadline(settings.task_deadline),
    )
    for item, source in zip(plan, sources, strict=True):
        data.add_item(source, item.path)
    return data


def local_times(plan: Sequence[PlannedUpload]) -> dict[str, float]:
    return {item.path: os.stat(item.source.path).st_mtime for item in plan}


def settle(
    plan: Sequence[PlannedUpload],
    moved: set[str],
    listings: dict[str, Listing | None],
    failure: TaskFailed | None,
    overwrite: str,
    times: dict[str, float],
) -> list[Outcome[PlannedUpload]]:
    """Each file's outcome from the task's successful transfers and the destination's
    listing after it; the SHA-256s of what arrived are the local files'."""
    outcomes = []
    for item in plan:
        if item.path in moved:
            problem = copy_problem(item, stored_entry(listings, item), times[item.path])
            if problem is None:
                outcomes.append(Outcome(item, "uploaded", sha256_of(item.source.path)))
            else:
                outcomes.append(Outcome(item, "failed", error=problem))
        elif failure is None and SYNC[overwrite] is not None:
            outcomes.append(Outcome(item, "skipped", checked=KEPT_BY[overwrite]))
        else:
            why = str(failure) if failure else "the task succeeded without copying it"
            refused = failure is not None and failure.exit_code == EXIT_AUTH
            outcomes.append(Outcome(item, "failed", error=why, auth_failure=refused))
    return outcomes


def copy_problem(item: PlannedUpload, entry: RemoteEntry | None, modified: float) -> str | None:
    """Why the collection's copy is not this runner's file, or None."""
    if entry is None or not entry.is_file:
        return "Transfer reported it copied, yet the destination's listing lacks it"
    if os.stat(item.source.path).st_mtime != modified:
        return "the local file changed while Transfer copied it: upload again"
    source = "check GLOBUSPUT_SOURCE_PATH (the source collection's path of the base folder)"
    if entry.size != item.size:
        return f"the copy has {entry.size} bytes, the local file {item.size}: {source}"
    if entry.modified is not None and abs(entry.modified - int(modified)) > SAME_TIME:
        return f"the copy's modification time is not the local file's: {source}"
    return None


def hand_over(
    settings: Settings,
    reporter: Reporter,
    plan: list[PlannedUpload],
    collection: Collection,
    info: CollectionInfo,
) -> None:
    """The upload as one Transfer task: planned, submitted, waited for (unless
    ``--no-wait``), checked and reported like an HTTPS upload."""
    assert settings.source_path is not None and settings.source_collection_id is not None
    base = str(settings.base_dir or ".")
    sources = source_paths([item.source for item in plan], base, settings.source_path)
    source = source_info(collection, str(settings.source_collection_id))
    if settings.has_client_credentials and (info.needs_data_access or source.needs_data_access):
        collection.get_consent([task_scope(info, source)])  # asked up front, not refused first
    started = time.monotonic()
    if settings.dry_run:
        for item, path in zip(plan, sources, strict=True):
            reporter.info(
                f"would copy {shown(path)} on {shown(source.display_name)} to {shown(item.path)}"
            )
        _finish(settings, reporter, [Outcome(item, "planned") for item in plan], started, "")
        return
    times = local_times(plan)
    task_id = submit(collection, transfer_data(settings, plan, sources))
    if settings.no_wait:
        hashed = settings.overwrite == "always"  # else Transfer may keep a different copy
        outcomes = [
            Outcome(item, "submitted", sha256_of(item.source.path) if hashed else None)
            for item in plan
        ]
        _finish(settings, reporter, outcomes, started, task_id)
        reporter.info(f"Transfer task {task_id} goes on; wait for it: globusput wait {task_id}")
        return
    document, signum = watch(collection, task_id, reporter, settings.task_deadline, True)
    failure = TaskFailed(INTERRUPTED) if signum else ending(document, task_id)
    moved = {destination for _, destination in successes(collection, task_id)}
    listings = collection.listings({item.folder for item in plan})
    outcomes = settle(plan, moved, listings, failure, settings.overwrite, times)
    for outcome in outcomes:
        show(reporter, outcome)
    _finish(settings, reporter, outcomes, started, task_id)
    if signum:
        raise Interrupted(signum)
    raise_if_failed(outcomes, UploadFailed)


def _finish(
    settings: Settings,
    reporter: Reporter,
    outcomes: list[Outcome[PlannedUpload]],
    started: float,
    task_id: str,
) -> None:
    assert settings.destination is not None
    where = (str(settings.collection_id), settings.destination, settings.manifest)
    seconds = time.monotonic() - started
    finish_upload(reporter, outcomes, seconds, where, task_id=task_id)
