"""``globusput get REMOTE... LOCAL_FOLDER COLLECTION_ID``, or ``--from-manifest``: files come
back, each below the local folder at its whole collection path.

The collection is read with one Transfer listing per folder (a level at a time for folders
fetched whole), never a request per file; then files are fetched concurrently over HTTPS with
the collection's token, which goes nowhere else.
"""

from __future__ import annotations

import posixpath
import time
from pathlib import Path

from globusput.batch import download_all
from globusput.collection import Collection
from globusput.connection import channel_options, check_outputs, connect, data_tls_verify
from globusput.download import Downloader
from globusput.errors import ConfigError, FetchFailed, Interrupted, SelectionError
from globusput.manifest import Manifest, collection_of, compare, listings_of, read_manifest
from globusput.outcomes import Outcome, raise_if_failed
from globusput.paths import (
    Destination,
    check_destination_host,
    in_home,
    rebase_home,
    remote_specs,
)
from globusput.plans import PlannedDownload, expand, folders_to_list, local_path, plan_downloads
from globusput.refusals import unlisted
from globusput.remote import CollectionInfo, RemoteEntry
from globusput.report import Reporter
from globusput.settings import Settings
from globusput.summary import finish_get, show

Fetched = Outcome[PlannedDownload]


def run(settings: Settings, reporter: Reporter) -> None:
    """Fetch remote files or folders, or a manifest's files, into the local folder."""
    settings.require_get_target()
    assert settings.destination is not None
    root = Path(settings.destination)
    manifest = read_manifest(settings.from_manifest) if settings.from_manifest else None
    if manifest is not None:
        collection_id = collection_of(manifest, settings.collection_id)
        settings = settings.model_copy(update={"collection_id": collection_id})
    specs = remote_specs(settings.paths) if manifest is None else []
    if root.exists() and not root.is_dir():
        raise ConfigError(f"GLOBUSPUT_DESTINATION (DESTINATION): {root} is a file: name a folder")
    for spec in specs:  # a path that cannot be a local file fails before Transfer is asked
        if spec.path.strip("/"):
            local_path(root, spec.path.rstrip("/"))
    check_outputs(settings, reporter)
    tls = data_tls_verify(settings, reporter)
    with connect(settings, reporter) as (collection, info, data):
        started = time.monotonic()
        if manifest is not None:
            plan, refused = _plan_from_manifest(manifest, collection, info, root)
        else:
            plan, refused = _plan_from_paths(settings, reporter, specs, collection, info, root)
        for outcome in refused:
            show(reporter, outcome)
        sizes = (sum(item.size or 0 for item in plan), len(plan))
        options = channel_options(settings, reporter, collection, data, tls, sizes)
        downloader = Downloader(overwrite=settings.overwrite, **options)
        fetched, signum = download_all(plan, downloader, settings.concurrency, reporter, True)
    outcomes = refused + fetched
    seconds = time.monotonic() - started
    finish_get(reporter, outcomes, seconds, str(settings.collection_id), settings.manifest)
    if signum:
        raise Interrupted(signum)
    raise_if_failed(outcomes, FetchFailed)


def _plan_from_manifest(
    manifest: Manifest, collection: Collection, info: CollectionInfo, root: Path
) -> tuple[list[PlannedDownload], list[Fetched]]:
    """One listing per folder of the manifest; files missing or of another size fail
    without a download."""
    listings = listings_of(manifest, collection, info.base_url)
    sha = {w.path: w.sha256 for w in manifest.files if w.sha256}
    unusable = [  # a bad entry fails alone, the others come
        Outcome(PlannedDownload(what, "", root, None, root=root), "failed", error=why)
        for what, why in manifest.refused
    ]
    # where Transfer refuses a listing, the file is fetched anyway: its SHA-256 decides
    unlisted = set(collection.refused_of("ls", listings))
    present: list[tuple[str, RemoteEntry | None]] = [
        (w.path, None) for w in manifest.files if posixpath.dirname(w.path) in unlisted
    ]
    seen = [w for w in manifest.files if posixpath.dirname(w.path) not in unlisted]
    verdict = compare(seen, {f: e for f, e in listings.items() if f not in unlisted})
    for wanted in verdict.present:
        folder, name = posixpath.split(wanted.path)
        present.append((wanted.path, (listings.get(folder) or {}).get(name)))
    plan = plan_downloads(present, root, info.base_url, sha)
    why = {w.path: "not on the collection" for w in verdict.missing}
    for w, size in verdict.different:
        why[w.path] = (
            f"{size} bytes on the collection, {w.size} in the manifest: not the recorded file"
        )
    refused = plan_downloads([(path, None) for path in why], root, info.base_url)
    return plan, unusable + [Outcome(item, "failed", error=why[item.path]) for item in refused]


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
    # Transfer knows where /~/ is; the HTTPS server does not (one ls, only when asked)
    specs = [rebase_home(s, collection.home()) if in_home(s) else s for s in specs]
    walk, once = folders_to_list(specs)
    listed = collection.walk(walk)
    listed.update(collection.listings(once))
    # a folder Transfer refuses to list fails alone (its files cannot be known); the others come
    closed = collection.refused_of("ls", [f for f in listed if f not in once])
    blocked = [
        Outcome(
            PlannedDownload(folder + "/", "", root, None, root=root),
            "failed",
            error=str(unlisted(collection, "its files are not fetched", folder)),
            auth_failure=folder not in collection.oversized,
        )
        for folder in closed
    ]
    specs = [s for s in specs if not (s.is_folder and (s.path.rstrip("/") or "/") in closed)]
    found, missing, unusable = expand(specs, listed)
    if missing:
        message = "nothing on the collection at " + ", ".join(missing)
        if settings.if_no_files_found == "error":
            raise SelectionError(
                f"{message}: check the path (folders end in '/'), or set "
                "--if-no-files-found warn to go on"
            )
        if settings.if_no_files_found == "warn":
            reporter.warn(message)
    # what the listing names but cannot be fetched fails alone, the rest comes
    refused = [
        Outcome(PlannedDownload(path, "", root, None, root=root), "failed", error=why)
        for path, why in unusable
    ]
    return plan_downloads(found, root, info.base_url), blocked + refused
