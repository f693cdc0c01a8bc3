"""``globusput verify MANIFEST [COLLECTION_ID]``: prove that the collection holds every file a
manifest lists, at its recorded size (and, with ``--hash``, SHA-256), and nothing else in those
folders or below them (what ``get`` of them would fetch): one Transfer listing per folder."""

from __future__ import annotations

from pathlib import Path

from globusput.batch import download_all
from globusput.connection import channel_options, check_outputs, connect, data_tls_verify
from globusput.download import Downloader
from globusput.errors import Interrupted, VerifyFailed
from globusput.manifest import collection_of, compare, listings_of, looked_up, read_manifest
from globusput.outcomes import Outcome, failed
from globusput.plans import PlannedDownload, plan_downloads
from globusput.refusals import unlisted
from globusput.report import Reporter
from globusput.settings import Settings
from globusput.verdicts import finish_verify


def run(settings: Settings, reporter: Reporter) -> None:
    settings.require_verify_target()
    assert settings.from_manifest is not None
    manifest = read_manifest(settings.from_manifest)
    collection_id = collection_of(manifest, settings.collection_id)
    settings = settings.model_copy(update={"collection_id": collection_id})
    check_outputs(settings, reporter)
    tls = data_tls_verify(settings, reporter)
    with connect(settings, reporter) as (collection, info, data):
        listings = listings_of(manifest, collection, info.base_url, below=True)
        closed = collection.refused_of("ls", listings)
        for folder in closed:
            if folder not in collection.oversized:
                why = "verify compares each folder's listing with the manifest"
                raise unlisted(collection, why, folder)
        # over Transfer's listing limit: the manifest's files there are looked up one by one
        verdict = compare(manifest.files, {**listings, **looked_up(manifest, collection, closed)})
        verdict.unusable, verdict.unchecked = manifest.refused, closed
        checked: list[Outcome[PlannedDownload]] = []
        if settings.verify_hash:
            sha = {w.path: w.sha256 for w in verdict.present if w.sha256 is not None}
            plan = plan_downloads([(path, None) for path in sha], Path("."), info.base_url, sha)
            options = channel_options(settings, reporter, collection, data, tls, (0, len(plan)))
            checked, signum = download_all(
                plan, Downloader(**options), settings.concurrency, reporter, False
            )
            if signum:
                raise Interrupted(signum)
    finish_verify(reporter, verdict, checked, settings.verify_hash, str(collection_id))
    unchecked = failed(checked)
    if not verdict.complete or unchecked:
        raise VerifyFailed(
            "the collection does not hold the manifest's files as recorded; see above",
            auth=any(o.auth_failure for o in unchecked),
        )
