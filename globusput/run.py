"""The upload command: settings in, files selected and placed, uploaded, reported.

Decisions that need no network (selection, destination, collisions) are made first, so bad
input fails before any token is requested; only then are Globus services contacted.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

from globusput.batch import Batch, keep_stored, stored_entry
from globusput.connection import (
    check_credential_pair,
    check_outputs,
    connect,
    data_tls_verify,
)
from globusput.errors import (
    AuthError,
    CollectionError,
    ConfigError,
    DestinationError,
    GlobusputError,
    Interrupted,
    SelectionError,
    ServiceError,
    UploadFailed,
)
from globusput.layout import (
    Destination,
    PlannedUpload,
    check_destination_host,
    parse_destination,
    plan_uploads,
    restage,
    staging_folder,
)
from globusput.placement import Placement, StagedFolder, rename_threshold
from globusput.progress import make_progress
from globusput.report import Reporter, manifest, write_json
from globusput.selection import LocalFile, refuse_credentials, scale_advice, select_files
from globusput.session import make_session
from globusput.settings import Settings, group_or_world_readable
from globusput.upload import Outcome, Uploader

if TYPE_CHECKING:
    from globusput.auth import DataAuthorizer
    from globusput.collection import Collection, CollectionInfo


def upload(settings: Settings, reporter: Reporter) -> None:
    """Run one upload; raises a GlobusputError subclass for anything but full success."""
    settings.require_upload_target()
    assert settings.destination is not None and settings.collection_id is not None
    if settings.client_secret is not None:
        reporter.add_secret(settings.client_secret.get_secret_value())
    if settings.client_config is not None and group_or_world_readable(settings.client_config):
        reporter.warn(f"{settings.client_config} is readable by other users: chmod 600 it")
    check_outputs(settings, reporter)
    files = _select(settings, reporter)
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
        _upload_online(settings, reporter, files, destination, tls)
    except (ServiceError, AuthError, CollectionError, DestinationError) as exc:
        # the run failed before any file was attempted: the manifest still says so
        failed = [Outcome(item, "failed", error=str(exc)) for item in offline_plan]
        _finish(settings, reporter, str(settings.collection_id), failed, 0.0, attempted=False)
        raise


def _upload_online(
    settings: Settings,
    reporter: Reporter,
    files: list[LocalFile],
    destination: Destination,
    tls: bool | str,
) -> None:
    assert settings.collection_id is not None
    if not files:
        _finish(settings, reporter, str(settings.collection_id), [], 0.0)
        return

    with connect(settings, reporter) as (collection, info, data):
        _upload_to(settings, reporter, files, destination, tls, data, collection, info)


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
    plan = plan_uploads(files, destination, info.base_url)
    _refuse_folder_as_file(destination, collection)
    collection_id = str(settings.collection_id)
    if settings.dry_run:
        there = {}
        if settings.overwrite != "always":  # what would be kept, from one listing per folder
            there = collection.listings({item.folder for item in plan})
        outcomes = []
        for item in plan:
            kept = keep_stored(settings.overwrite, item.source, stored_entry(there, item))
            outcomes.append(Outcome(item, "skipped" if kept else "planned"))
            reporter.outcome(outcomes[-1], dry_run=True)
        _finish(settings, reporter, collection_id, outcomes, 0.0)
        return
    started = time.monotonic()
    staged = StagedFolder(collection, destination) if settings.whole_folder else None
    sent, listings = plan, None
    if staged is not None:
        sent = restage(plan, destination.path, staged.staging)
        listings = staged.prepare({item.remote_path for item in sent}) or {}
        rename_from = None  # the folder is renamed as a whole
    else:
        rename_from = rename_threshold(
            settings.atomic,
            int(settings.atomic_threshold),
            collection.filesystem_ops,
            reporter.warn,
        )
    cancel = threading.Event()
    reporter.progress = make_progress(
        settings.quiet, sum(item.source.size for item in sent), len(sent), reporter.out
    )
    uploader = Uploader(
        session=make_session(settings.concurrency, reporter.debug),
        authorizer=data,
        identity=collection.identity,
        verify_tls=tls,
        retries=settings.retries,
        backoff=settings.retry_backoff,
        timeout=settings.timeout,
        placement=Placement(collection, rename_from),
        make_folders=settings.mkdir,
        cancel=cancel,
        debug=reporter.debug,
        progress=reporter.progress,
    )
    batch = Batch(
        sent,
        uploader,
        concurrency=settings.concurrency,
        cancel=cancel,
        reporter=reporter,
        check_sizes=settings.verify_size,
        overwrite=settings.overwrite,
        listings=listings,
    )
    outcomes, signum = batch.run()
    failed = [o for o in outcomes if o.status == "failed"]
    publish_error = None
    if staged is not None:
        publish_error = _publish(staged, outcomes, plan, not signum and not failed, reporter)
    _finish(settings, reporter, collection_id, outcomes, time.monotonic() - started)
    if signum:
        raise Interrupted(signum)
    if publish_error is not None:
        raise publish_error
    if failed:
        raise UploadFailed(
            f"{len(failed)} of {len(outcomes)} files failed; see above",
            auth=any(o.auth_failure for o in failed),
        )


def _local_plan(settings: Settings, reporter: Reporter, plan: list[PlannedUpload]) -> None:
    """A dry run without credentials: where each file would go, from local facts alone."""
    outcomes = [Outcome(item, "planned") for item in plan]
    for outcome in outcomes:
        reporter.outcome(outcome)
    reporter.warn(
        "dry run without client credentials: Globus was not contacted, so the collection's "
        "URL, its folders, files already there (--overwrite) and access were not checked"
    )
    _finish(settings, reporter, str(settings.collection_id), outcomes, 0.0)


def _publish(
    staged: StagedFolder,
    outcomes: list[Outcome],
    plan: list[PlannedUpload],
    complete: bool,
    reporter: Reporter,
) -> GlobusputError | None:
    """Move a complete staging folder into place; otherwise say where the files wait."""
    if not complete:
        reporter.warn(
            f"nothing was published: the uploaded files wait in {staged.staging} on the "
            "collection; rerun the same upload to finish and publish them"
        )
        return None
    try:
        staged.publish()
    except GlobusputError as exc:
        return exc
    for outcome, item in zip(outcomes, plan, strict=True):
        outcome.item = item  # the manifest and outputs name the published files
    reporter.info(
        f"published {staged.final} with {len(plan)} files at once (staged in {staged.staging})"
    )
    return None


def _select(settings: Settings, reporter: Reporter) -> list[LocalFile]:
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
            reporter.warn(message)
    if not selection.files and settings.if_no_files_found != "ignore":
        reporter.warn("nothing to upload")
    refuse_credentials(selection.files, _credential_files(settings), _secrets(settings))
    advice = scale_advice(selection.files)
    if advice:
        reporter.warn(advice)
    return selection.files


def _credential_files(settings: Settings) -> dict[str, str]:
    """globusput's own credential files, by real path."""
    from globusput.userlogin import token_file

    found = {os.path.realpath(token_file(settings.native_client_id)): "the Globus token store"}
    if settings.client_config is not None:
        found[os.path.realpath(settings.client_config)] = "the client-config file (-c)"
    return found


def _secrets(settings: Settings) -> list[str]:
    secret = settings.client_secret
    return [secret.get_secret_value()] if secret is not None else []


def _refuse_folder_as_file(destination: Destination, collection: Collection) -> None:
    """The seed's matrix: ``data`` when /data is a folder fails and suggests ``data/``."""
    if destination.is_folder:
        return
    entry = collection.stat(destination.path)
    if entry is not None and entry.get("type") == "dir":
        text = destination.text.rstrip("/")
        raise DestinationError(
            f"destination {text!r} is an existing folder on the collection: to upload into it "
            f"use {text + '/'!r}, or name the file, e.g. {text + '/' + 'NAME'!r}"
        )


def _finish(
    settings: Settings,
    reporter: Reporter,
    collection_id: str,
    outcomes: list[Outcome],
    seconds: float,
    attempted: bool = True,
) -> None:
    """Summary, manifest and CI outputs; ``attempted`` False when the run stopped before its
    first file (each is then recorded as failed with that reason, but not counted aloud)."""
    reporter.summary(outcomes, seconds, attempted)
    if settings.manifest is not None:
        assert settings.destination is not None
        write_json(settings.manifest, manifest(collection_id, settings.destination, outcomes))
        reporter.debug(f"manifest written to {settings.manifest}")
    manifest_path = str(settings.manifest) if settings.manifest is not None else None
    reporter.publish(outcomes, manifest_path, collection_id)
