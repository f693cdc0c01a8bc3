"""The upload command: settings in, files selected and placed, uploaded, reported.

Decisions that need no network (selection, destination, collisions) are made first, so bad
input fails before any token is requested; only then are Globus services contacted.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING

from globusput.errors import (
    EXIT_AUTH,
    EXIT_FAILED,
    AuthError,
    CollectionError,
    ConfigError,
    DestinationError,
    Interrupted,
    SelectionError,
    ServiceError,
    UploadFailed,
)
from globusput.layout import (
    Destination,
    PlannedUpload,
    check_destination_host,
    folders_to_create,
    parse_destination,
    plan_uploads,
)
from globusput.progress import Progress, make_progress
from globusput.report import Reporter, manifest, write_json
from globusput.selection import LocalFile, scale_advice, select_files
from globusput.session import abort_transfers, make_session
from globusput.settings import Settings, group_or_world_readable
from globusput.upload import Outcome, Uploader

if TYPE_CHECKING:
    from globusput.collection import Collection

_HALF_CREDENTIALS = (
    "GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET go together: set both (a Globus confidential "
    "client), or neither to log in as yourself"
)


def upload(settings: Settings, reporter: Reporter) -> None:
    """Run one upload; raises a GlobusputError subclass for anything but full success."""
    settings.require_upload_target()
    assert settings.destination is not None and settings.collection_id is not None
    if settings.client_secret is not None:
        reporter.add_secret(settings.client_secret.get_secret_value())
    if settings.client_config is not None and group_or_world_readable(settings.client_config):
        reporter.warn(f"{settings.client_config} is readable by other users: chmod 600 it")
    files = _select(settings, reporter)
    destination = parse_destination(settings.destination)
    offline_plan = plan_uploads(files, destination, "")  # collisions etc. fail here, offline
    tls = data_tls_verify(settings, reporter)
    if (settings.client_id is None) != (settings.client_secret is None):
        raise ConfigError(_HALF_CREDENTIALS)
    try:
        _upload_online(settings, reporter, files, destination, tls)
    except (ServiceError, AuthError, CollectionError, DestinationError) as exc:
        # the run failed before any file was attempted: the manifest still says so
        failed = [Outcome(item, "failed", error=str(exc)) for item in offline_plan]
        _finish(settings, reporter, str(settings.collection_id), failed, 0.0)
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

    import globus_sdk

    from globusput.auth import confidential_client_authorizers
    from globusput.collection import Collection
    from globusput.userlogin import native_app_authorizers

    if settings.has_client_credentials:
        authorizers = confidential_client_authorizers(settings)
    else:
        authorizers = native_app_authorizers(settings, reporter)
    for token in authorizers.tokens:
        reporter.add_secret(token)
    transfer = globus_sdk.TransferClient(authorizer=authorizers.transfer)
    collection = Collection(transfer, settings.collection_id, authorizers.identity, reporter.warn)
    info = collection.info()
    reporter.debug(f"collection {info.display_name} ({info.entity_type}) at {info.base_url}")
    check_destination_host(destination, info.base_url)
    plan = plan_uploads(files, destination, info.base_url)
    _refuse_folder_as_file(destination, collection)
    collection_id = str(settings.collection_id)
    if settings.dry_run:
        outcomes = [Outcome(item, "planned") for item in plan]
        for outcome in outcomes:
            reporter.outcome(outcome)
        _finish(settings, reporter, collection_id, outcomes, 0.0)
        return
    started = time.monotonic()
    if settings.mkdir:
        made = collection.ensure_folders(folders_to_create(plan))
        reporter.debug(f"{made} mkdir request(s) to Globus Transfer")
    cancel = threading.Event()
    total = sum(item.source.size for item in plan)
    reporter.progress = make_progress(settings.quiet, total, len(plan), reporter.out)
    uploader = Uploader(
        session=make_session(settings.concurrency),
        authorizer=authorizers.data,
        identity=authorizers.identity,
        verify_tls=tls,
        retries=settings.retries,
        backoff=settings.retry_backoff,
        timeout=settings.timeout,
        verify_size=settings.verify_size,
        overwrite=settings.overwrite,
        atomic=_atomic(settings, collection.filesystem_ops, reporter),
        collection=collection,
        cancel=cancel,
        debug=reporter.debug,
        progress=reporter.progress,
    )
    outcomes, signum = _upload_all(plan, uploader, settings.concurrency, cancel, reporter)
    _finish(settings, reporter, collection_id, outcomes, time.monotonic() - started)
    if signum:
        raise Interrupted(signum)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        error = UploadFailed(f"{len(failed)} of {len(outcomes)} files failed; see above")
        error.exit_code = EXIT_AUTH if any(o.auth_failure for o in failed) else EXIT_FAILED
        raise error


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
    if selection.unmatched:
        listed = ", ".join(repr(p) for p in selection.unmatched)
        message = f"no files match {listed}"
        if settings.if_no_files_found == "error":
            raise SelectionError(
                f"{message}: check the pattern, or set --if-no-files-found warn to go on"
            )
        if settings.if_no_files_found == "warn":
            reporter.warn(message)
    if not selection.files and settings.if_no_files_found != "ignore":
        reporter.warn("nothing to upload")
    advice = scale_advice(selection.files)
    if advice:
        reporter.warn(advice)
    return selection.files


def data_tls_verify(settings: Settings, reporter: Reporter) -> bool | str:
    """The SDK's trust (GLOBUS_SDK_VERIFY_SSL) for data too; never off without a loud flag."""
    from globus_sdk.config import get_ssl_verify

    try:
        verify = get_ssl_verify()
    except ValueError as exc:
        raise ConfigError(f"GLOBUS_SDK_VERIFY_SSL: {exc}") from None
    if verify is False:
        if not settings.insecure_skip_tls_verify:
            raise ConfigError(
                "GLOBUS_SDK_VERIFY_SSL turns TLS verification off, which would let anyone "
                "between here and the collection take the token: point it at a CA bundle "
                "instead, or set GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY=true if you accept that"
            )
        reporter.warn("TLS VERIFICATION IS OFF for uploads: the token can be intercepted")
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return verify


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


def _atomic(settings: Settings, rename_possible: bool, reporter: Reporter) -> bool:
    if settings.atomic is None:
        return rename_possible
    if settings.atomic and not rename_possible:
        reporter.warn("--atomic needs Transfer's rename, which is refused here: uploading in place")
        return False
    return settings.atomic


def _upload_all(
    plan: list[PlannedUpload],
    uploader: Uploader,
    concurrency: int,
    cancel: threading.Event,
    reporter: Reporter,
) -> tuple[list[Outcome], int]:
    """Upload concurrently; SIGINT/SIGTERM stop the workers and leave a complete account."""
    received: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        cancel.set()
        abort_transfers()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    results: dict[int, Outcome] = {}
    reporter.begin_files(len(plan))
    todo: queue.SimpleQueue[tuple[int, PlannedUpload]] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[int, Outcome]] = queue.SimpleQueue()
    for entry in enumerate(plan):
        todo.put(entry)

    def worker() -> None:
        while not cancel.is_set():
            try:
                index, item = todo.get_nowait()
            except queue.Empty:
                return
            done.put((index, uploader.upload(item)))

    # plain queues, not futures: waiting on thousands of futures at once costs O(n) per wake-up
    workers = [
        threading.Thread(target=worker, name=f"put-{n}", daemon=True)
        for n in range(min(concurrency, len(plan)))
    ]
    try:
        for thread in workers:
            thread.start()
        while len(results) < len(plan):
            try:
                index, outcome = done.get(timeout=0.25)  # wakes up for signals, too
            except queue.Empty:
                if not any(thread.is_alive() for thread in workers) and done.empty():
                    break
                continue
            results[index] = outcome
            if outcome.error != "cancelled":
                reporter.outcome(outcome)
        for thread in workers:
            thread.join()
    finally:
        reporter.progress.close()
        reporter.progress = Progress()
        reporter.end_files()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    outcomes = [
        results.get(index) or Outcome(item, "failed", error="not attempted: interrupted")
        for index, item in enumerate(plan)
    ]
    for outcome in outcomes:
        if outcome.error == "cancelled":
            outcome.error = "interrupted before it finished"
    return outcomes, received[0] if received else 0


def _finish(
    settings: Settings,
    reporter: Reporter,
    collection_id: str,
    outcomes: list[Outcome],
    seconds: float,
) -> None:
    reporter.summary(outcomes, seconds)
    if settings.manifest is not None:
        assert settings.destination is not None
        write_json(settings.manifest, manifest(collection_id, settings.destination, outcomes))
        reporter.debug(f"manifest written to {settings.manifest}")
    manifest_path = str(settings.manifest) if settings.manifest is not None else None
    reporter.publish(outcomes, manifest_path, collection_id)
