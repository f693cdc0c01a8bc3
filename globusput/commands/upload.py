"""``globusput PATH... DESTINATION COLLECTION_ID``: select, place, upload, report.

Decisions that need no network (selection, destination, collisions) are made first, so bad
input fails before Transfer or the collection is contacted (only the first token may have been
asked for meanwhile: :mod:`globusput.early`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from globusput.auth import DataAuthorizer
from globusput.batch import Uploads
from globusput.collection import Collection
from globusput.connection import (
    channel_options,
    check_credential_pair,
    check_outputs,
    connect,
    data_tls_verify,
)
from globusput.errors import (
    AuthError,
    CollectionError,
    DestinationError,
    Interrupted,
    ServiceError,
    UploadFailed,
)
from globusput.folders import Folders
from globusput.handover import by_task, hand_over
from globusput.inert import shown
from globusput.outcomes import Outcome, failed, raise_if_failed
from globusput.paths import (
    Destination,
    check_destination_host,
    in_home,
    parse_destination,
    rebase_home,
)
from globusput.person import token_file
from globusput.placement import Placement, StagedFolder, rename_threshold
from globusput.plans import (
    PlannedUpload,
    keep_stored,
    looked_up_first,
    plan_uploads,
    restage,
    staging_folder,
    stored_entry,
)
from globusput.remote import CollectionInfo
from globusput.report import Reporter
from globusput.selection import LocalFile
from globusput.settings import Settings, group_or_world_readable
from globusput.summary import finish_upload, show
from globusput.upload import Uploader
from globusput.vetting import select_uploads


def run(settings: Settings, reporter: Reporter) -> None:
    """Run one upload; raises a GlobusputError subclass for anything but full success."""
    settings.require_upload_target()
    assert settings.destination is not None and settings.collection_id is not None
    if settings.client_secret is not None:
        reporter.add_secret(settings.client_secret.get_secret_value())
    if settings.client_config is not None and group_or_world_readable(settings.client_config):
        reporter.warn(f"{settings.client_config} is readable by other users: chmod 600 it")
    check_outputs(settings, reporter)
    files = select_uploads(settings, reporter.warn, _credential_files(settings))
    destination = parse_destination(settings.destination)
    offline_plan = plan_uploads(files, destination, "")  # collisions etc. fail here, offline
    if settings.whole_folder:
        staging_folder(destination)  # a folder destination below / is needed
    tls = data_tls_verify(settings, reporter)
    check_credential_pair(settings)
    if settings.dry_run and not settings.has_client_credentials:
        _local_plan(settings, reporter, offline_plan)
        return
    try:
        if not files:
            _report(settings, reporter, [], 0.0)
            return
        makes_folders = settings.mkdir and not (settings.dry_run or settings.whole_folder)
        makes_folders = makes_folders and not by_task(settings, files)  # else Transfer's task
        ahead = looked_up_first(offline_plan, destination, makes_folders)
        with connect(settings, reporter, ahead) as (collection, info, data):
            _upload_to(settings, reporter, files, destination, tls, data, collection, info)
    except (ServiceError, AuthError, CollectionError, DestinationError) as exc:
        # the run failed before any file was attempted: the manifest still says so
        outcomes = [Outcome(item, "failed", error=str(exc)) for item in offline_plan]
        _report(settings, reporter, outcomes, 0.0, attempted=False)
        raise


def _upload_to(
    settings: Settings,
    reporter: Reporter,
    files: list[LocalFile],
    destination: Destination,
    tls: bool | str,
    data: DataAuthorizer,
    collection: Collection,
    info: CollectionInfo,
) -> None:
    check_destination_host(destination, info.base_url)
    if in_home(destination):  # Transfer knows where /~/ is; the HTTPS server does not
        destination = rebase_home(destination, collection.home())
    plan = plan_uploads(files, destination, info.base_url)
    if by_task(settings, files):  # Transfer makes the folders, and moves the bytes
        hand_over(settings, reporter, plan, collection, info)
        return
    folders = Folders(collection, settings.mkdir)
    folders.refuse_folder_as_file(destination)
    if settings.dry_run:
        _dry_run(settings, reporter, folders, plan, destination)
        return
    started = time.monotonic()
    staged = StagedFolder(folders, destination) if settings.whole_folder else None
    sent, overwrite, rename_from = plan, str(settings.overwrite), None
    if staged is not None:  # renamed as a whole; a resume keeps what the record proves
        sent, overwrite = restage(plan, destination.path, staged.staging), "resume"
    else:
        rename_from = rename_threshold(settings.atomic, int(settings.atomic_threshold))
    sizes = (sum(item.source.size for item in sent), len(sent))
    uploader = Uploader(
        placement=Placement(collection, rename_from),
        folders=folders,
        **channel_options(settings, reporter, collection, data, tls, sizes),
    )
    listings = None
    if staged is not None:  # a new staging folder holds nothing: no listing
        listings = staged.prepare(sent, uploader, reporter.debug) or {}
    outcomes, signum = Uploads(
        sent,
        uploader,
        concurrency=settings.concurrency,
        reporter=reporter,
        check_sizes=settings.verify_size,
        overwrite=overwrite,
        listings=listings,
    ).run()
    leftovers = _left_behind(uploader, outcomes, reporter)
    publish_error = None
    if staged is not None:
        complete = not signum and not failed(outcomes)
        publish_error = staged.finish(outcomes, plan, complete, reporter.info, reporter.warn)
    _report(settings, reporter, outcomes, time.monotonic() - started, leftovers=leftovers)
    if signum:
        raise Interrupted(signum)
    if publish_error is not None:
        raise publish_error
    raise_if_failed(outcomes, UploadFailed)


def _left_behind(
    uploader: Uploader, outcomes: list[Outcome[PlannedUpload]], reporter: Reporter
) -> list[str]:
    """What the run could not do for its files, said once: partial files DELETE did not
    remove (unless a later attempt replaced them), and sizes nothing could read back."""
    unchecked = sorted(uploader.readback.unchecked)
    if unchecked:
        reporter.warn(
            f"the stored sizes in {len(unchecked)} folders (such as {shown(unchecked[0])}/) were "
            "not read back: the server does not answer HEAD and Transfer refuses to list them"
        )
    replaced = {o.item.url for o in outcomes if o.status == "uploaded"}
    return [url for url in uploader.leftovers if url not in replaced]


def _dry_run(
    settings: Settings,
    reporter: Reporter,
    folders: Folders,
    plan: list[PlannedUpload],
    destination: Destination,
) -> None:
    """Every check a real run makes before its first byte, read-only: what would be sent,
    what kept (one listing per folder), and what would fail (a whole-folder destination that
    exists, a folder missing with --no-mkdir, a folder below a file); then exit as the run
    would."""
    if settings.whole_folder:
        StagedFolder(folders, destination).refuse_existing()
    there = folders.collection.listings({item.folder for item in plan})
    problems = folders.problems(there)
    outcomes = []
    for item in plan:
        if item.folder in problems:
            outcomes.append(Outcome(item, "failed", error=problems[item.folder]))
        else:
            kept = keep_stored(settings.overwrite, item.source, stored_entry(there, item))
            outcomes.append(Outcome(item, "skipped" if kept else "planned"))
        show(reporter, outcomes[-1], dry_run=True)
    _report(settings, reporter, outcomes, 0.0)
    raise_if_failed(outcomes, UploadFailed)


def _local_plan(settings: Settings, reporter: Reporter, plan: list[PlannedUpload]) -> None:
    """A dry run without credentials: where each file would go, from local facts alone."""
    outcomes = [Outcome(item, "planned") for item in plan]
    for outcome in outcomes:
        show(reporter, outcome)
    reporter.warn(
        "dry run without client credentials: Globus was not contacted, so the collection's "
        "URL, its folders, files already there (--overwrite) and access were not checked"
    )
    _report(settings, reporter, outcomes, 0.0)


def _credential_files(settings: Settings) -> dict[str, str]:
    """globusput's own credential files, by real path."""
    found = {os.path.realpath(token_file(settings.native_client_id)): "the Globus token store"}
    if settings.client_config is not None:
        found[os.path.realpath(settings.client_config)] = "the client-config file (-c)"
    return found


def _report(
    settings: Settings,
    reporter: Reporter,
    outcomes: list[Outcome[PlannedUpload]],
    seconds: float,
    attempted: bool = True,
    leftovers: Sequence[str] = (),
) -> None:
    assert settings.destination is not None
    where = (str(settings.collection_id), settings.destination, settings.manifest)
    finish_upload(reporter, outcomes, seconds, where, attempted, leftovers)
