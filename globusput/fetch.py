"""The other half of an upload: ``get`` files back, ``verify`` that a published set is whole.

Both read the collection with one Transfer listing per folder (a level at a time for folders
fetched whole), never a request per file; then ``get`` (and ``verify --hash``) fetch files
concurrently over HTTPS with the collection's token, which goes nowhere else.
"""

from __future__ import annotations

import posixpath
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from globusput.connection import check_outputs, connect, data_tls_verify
from globusput.download import Downloader, Fetched
from globusput.errors import (
    AuthError,
    ConfigError,
    FetchFailed,
    Interrupted,
    SelectionError,
    VerifyFailed,
)
from globusput.fetchplan import (
    Manifest,
    PlannedDownload,
    Verdict,
    check_manifest_host,
    compare,
    expand,
    folders_to_list,
    local_path,
    plan_downloads,
    read_manifest,
    remote_specs,
)
from globusput.fetchreport import (
    fetch_manifest,
    fetch_summary_line,
    fetched_line,
    publish_fetch,
    publish_verify,
    verdict_lines,
    verify_summary_line,
)
from globusput.layout import Destination, check_destination_host
from globusput.progress import make_progress
from globusput.report import Reporter, write_json
from globusput.session import make_session, stopped_by_signals
from globusput.settings import Settings

if TYPE_CHECKING:
    from globusput.auth import DataAuthorizer
    from globusput.collection import Collection, CollectionInfo, RemoteEntry


def get(settings: Settings, reporter: Reporter) -> None:
    """Fetch remote files or folders, or a manifest's files, into the local folder."""
    settings.require_get_target()
    assert settings.destination is not None
    root = Path(settings.destination)
    manifest = _manifest(settings)
    settings = _with_collection(settings, manifest)
    specs = remote_specs(settings.paths) if manifest is None else []
    if root.exists() and not root.is_dir():
        raise ConfigError(f"GLOBUSPUT_DESTINATION (DESTINATION): {root} is a file: name a folder")
    named = [w.path for w in manifest.files] if manifest else [s.path for s in specs]
    for path in named:  # a path that cannot be a local file fails before any request
        if path.strip("/"):
            local_path(root, path.rstrip("/"))
    check_outputs(settings, reporter)
    tls = data_tls_verify(settings, reporter)
    with connect(settings, reporter) as (collection, info, data):
        started = time.monotonic()
        if manifest is not None:
            plan, refused = _plan_from_manifest(manifest, collection, info, root)
        else:
            plan, refused = _plan_from_paths(settings, reporter, specs, collection, info, root)
        for outcome in refused:
            fetched_line(reporter, outcome)
        fetched, signum = _fetch_all(settings, reporter, plan, data, collection, tls, True)
    outcomes = refused + fetched
    _finish_get(settings, reporter, str(settings.collection_id), outcomes, started)
    if signum:
        raise Interrupted(signum)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise FetchFailed(
            f"{len(failed)} of {len(outcomes)} files failed; see above",
            auth=any(o.auth_failure for o in failed),
        )


def verify(settings: Settings, reporter: Reporter) -> None:
    """Check that the collection holds every file a manifest lists, at its recorded size
    (and, with ``--hash``, SHA-256), and nothing else in those folders."""
    settings.require_verify_target()
    manifest = _manifest(settings)
    assert manifest is not None
    settings = _with_collection(settings, manifest)
    check_outputs(settings, reporter)
    tls = data_tls_verify(settings, reporter)
    with connect(settings, reporter) as (collection, info, data):
        listings = _manifest_listings(manifest, collection, info)
        if not collection.filesystem_ops:
            raise _unlisted(collection, "verify compares each folder's listing with the manifest")
        verdict = compare(manifest.files, listings)
        checked: list[Fetched] = []
        if settings.verify_hash:
            sha = {w.path: w.sha256 for w in verdict.present if w.sha256 is not None}
            plan = plan_downloads([(path, None) for path in sha], Path("."), info.base_url, sha)
            checked, signum = _fetch_all(settings, reporter, plan, data, collection, tls, False)
            if signum:
                raise Interrupted(signum)
    _finish_verify(reporter, verdict, checked, settings.verify_hash, collection.id)


def _manifest(settings: Settings) -> Manifest | None:
    return read_manifest(settings.from_manifest) if settings.from_manifest is not None else None


def _with_collection(settings: Settings, manifest: Manifest | None) -> Settings:
    """The manifest names its collection: used when none is given, refused when another is."""
    if manifest is None or manifest.collection_id is None:
        if settings.collection_id is None:
            raise ConfigError("GLOBUS_COLLECTION_ID (COLLECTION_ID): is required")
        return settings
    try:
        recorded = uuid.UUID(manifest.collection_id)
    except ValueError:
        raise ConfigError("the manifest's collection_id is not a UUID") from None
    if settings.collection_id is None:
        return settings.model_copy(update={"collection_id": recorded})
    if settings.collection_id != recorded:
        raise ConfigError(
            f"the manifest is of collection {recorded}, not {settings.collection_id}: drop "
            "GLOBUS_COLLECTION_ID to use the manifest's"
        )
    return settings


def _manifest_listings(
    manifest: Manifest, collection: Collection, info: CollectionInfo
) -> dict[str, dict[str, RemoteEntry] | None]:
    """One listing per folder of the manifest, once its URLs are known to be this
    collection's."""
    check_manifest_host(manifest, info.base_url, collection.id)
    return collection.listings(sorted({posixpath.dirname(w.path) for w in manifest.files}))


def _plan_from_manifest(
    manifest: Manifest, collection: Collection, info: CollectionInfo, root: Path
) -> tuple[list[PlannedDownload], list[Fetched]]:
    """One listing per folder of the manifest; files missing or of another size fail
    without a download."""
    listings = _manifest_listings(manifest, collection, info)
    sha = {w.path: w.sha256 for w in manifest.files if w.sha256}
    if not collection.filesystem_ops:  # no listing: every file is fetched, its SHA-256 decides
        return plan_downloads(
            [(w.path, None) for w in manifest.files], root, info.base_url, sha
        ), []
    verdict = compare(manifest.files, listings)
    found: list[tuple[str, RemoteEntry | None]] = []
    for wanted in verdict.present:
        folder, name = posixpath.split(wanted.path)
        found.append((wanted.path, (listings.get(folder) or {}).get(name)))
    plan = plan_downloads(found, root, info.base_url, sha)
    refused = [
        _refusal(w.path, root, info.base_url, "not on the collection") for w in verdict.missing
    ] + [
        _refusal(
            w.path,
            root,
            info.base_url,
            f"{size} bytes on the collection, {w.size} in the manifest: not the recorded file",
        )
        for w, size in verdict.different
    ]
    return plan, refused


def _unlisted(collection: Collection, why: str) -> AuthError:
    return AuthError(
        f"Globus Transfer refused to list folders on collection {collection.id} for "
        f"{collection.identity}; {why}, or grant the identity access"
    )


def _refusal(path: str, root: Path, base_url: str, why: str) -> Fetched:
    (item,) = plan_downloads([(path, None)], root, base_url)
    return Fetched(item, "failed", error=why)


def _plan_from_paths(
    settings: Settings,
    reporter: Reporter,
    specs: list[Destination],
    collection: Collection,
    info: CollectionInfo,
    root: Path,
) -> tuple[list[PlannedDownload], list[Fetched]]:
    for spec in specs:
        check_destination_host(spec, info.base_url)
    walk, once = folders_to_list(specs)
    listed = collection.walk(walk)
    listed.update(collection.listings(once))
    if walk and not collection.filesystem_ops:
        raise _unlisted(collection, "fetching a folder needs its listing: name its files")
    found, missing = expand(specs, listed)
    if missing:
        message = "nothing on the collection at " + ", ".join(repr(m) for m in missing)
        if settings.if_no_files_found == "error":
            raise SelectionError(
                f"{message}: check the path (folders end in '/'), or set "
                "--if-no-files-found warn to go on"
            )
        if settings.if_no_files_found == "warn":
            reporter.warn(message)
    # planning places every file (a name that cannot be a local file fails here, before any
    # download)
    return plan_downloads(found, root, info.base_url), []


def _fetch_all(
    settings: Settings,
    reporter: Reporter,
    plan: list[PlannedDownload],
    data: DataAuthorizer,
    collection: Collection,
    tls: bool | str,
    keep: bool,
) -> tuple[list[Fetched], int]:
    """Workers fetch the plan concurrently; SIGINT/SIGTERM stop them and cut open transfers
    (the signal is returned: what finished is still reported)."""
    cancel = threading.Event()
    total = sum(item.size or 0 for item in plan)
    reporter.progress = make_progress(settings.quiet, total, len(plan), reporter.out)
    downloader = Downloader(
        session=make_session(settings.concurrency, reporter.debug),
        authorizer=data,
        identity=collection.identity,
        verify_tls=tls,
        retries=settings.retries,
        backoff=settings.retry_backoff,
        timeout=settings.timeout,
        cancel=cancel,
        debug=reporter.debug,
        progress=reporter.progress,
    )
    todo: queue.Queue[int] = queue.Queue()
    for index in range(len(plan)):
        todo.put(index)
    done: queue.Queue[tuple[int, Fetched]] = queue.Queue()

    def worker() -> None:
        while not cancel.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                outcome = downloader.fetch(plan[index], keep)
            except Exception as exc:  # a bug stays with its file: no lost worker, no hang
                error = f"internal error ({type(exc).__name__}: {exc})"
                outcome = Fetched(plan[index], "failed", error=error)
            done.put((index, outcome))

    results: dict[int, Fetched] = {}
    workers = [
        threading.Thread(target=worker, name=f"get-{n}", daemon=True)
        for n in range(min(settings.concurrency, len(plan)))
    ]
    title = f"{'Fetching' if keep else 'Hashing'} {len(plan)} files"
    with stopped_by_signals(cancel) as received, reporter.files_section(title):
        for thread in workers:
            thread.start()
        while len(results) < len(plan):
            try:
                index, outcome = done.get(timeout=0.25)  # wakes up for signals, too
            except queue.Empty:
                if any(t.is_alive() for t in workers) or not done.empty():
                    continue
                break  # stopped by a signal: the rest was never started
            results[index] = outcome
            if keep and outcome.error != "cancelled":
                fetched_line(reporter, outcome)
        for thread in workers:
            thread.join()
    outcomes = [
        results.get(index) or Fetched(item, "failed", error="not attempted: interrupted")
        for index, item in enumerate(plan)
    ]
    for outcome in outcomes:
        if outcome.error == "cancelled":
            outcome.error = "interrupted before it finished"
    return outcomes, received[0] if received else 0


def _finish_get(
    settings: Settings,
    reporter: Reporter,
    collection_id: str,
    outcomes: list[Fetched],
    started: float,
) -> None:
    fetch_summary_line(reporter, outcomes, time.monotonic() - started)
    if settings.manifest is not None:
        write_json(settings.manifest, fetch_manifest(collection_id, outcomes))
        reporter.debug(f"manifest written to {settings.manifest}")
    manifest_path = str(settings.manifest) if settings.manifest is not None else None
    publish_fetch(reporter, outcomes, manifest_path, collection_id)


def _finish_verify(
    reporter: Reporter, verdict: Verdict, checked: list[Fetched], hashed: bool, collection: str
) -> None:
    """A file whose hash could not be taken (network, permission) fails the check too, said
    as such rather than as a difference."""
    failed = [o for o in checked if o.status == "failed"]
    changed = [o for o in failed if o.mismatch]
    verdict_lines(reporter, verdict, failed)
    verify_summary_line(reporter, verdict, failed, hashed)
    publish_verify(reporter, verdict, changed, collection)
    if not verdict.complete or failed:
        raise VerifyFailed(
            "the collection does not hold the manifest's files as recorded; see above",
            auth=any(o.auth_failure for o in failed),
        )
