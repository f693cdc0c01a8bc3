"""What each file command tells people and machines: a line per file, the closing count, the
manifest, CI outputs and the job summary; upload, get and verify side by side.

Names are data: they are made inert before they are printed or put in Markdown, outputs stay
within GitHub's limits, and the manifest lists everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from globusput.inert import markdown_text, markdown_url, shown
from globusput.manifest import get_manifest, upload_manifest, write_json
from globusput.outcomes import Outcome
from globusput.plans import PlannedDownload, PlannedUpload
from globusput.report import Reporter, cut_table, human_size, manifest_named

MARK = {
    "failed": "❌ failed",
    "uploaded": "✅ uploaded",
    "skipped": "⏭️ skipped",
    "planned": "📝 planned",
    "submitted": "📨 submitted",
    "fetched": "✅ fetched",
}


def show(reporter: Reporter, outcome: Outcome[Any], dry_run: bool = False) -> None:
    """One file's line: what happened to it, in either direction."""
    item = outcome.item
    if outcome.status == "failed":
        name = shown(item.label)
        local = None if isinstance(item, PlannedDownload) else name  # annotates a local file
        reporter.error(f"{name}: {shown(outcome.error or '')}", file=local)
    elif isinstance(item, PlannedDownload):
        size = human_size(outcome.size)
        local = shown(str(item.local))
        if outcome.status == "skipped":
            why = "kept: --overwrite never" if outcome.checked == "exists" else "the same"
            reporter.info(f"skipped {shown(item.path)}: {local} is already here ({why})")
        else:
            note = "; replaced a different local file" if outcome.replaced else ""
            reporter.info(f"fetched {shown(item.path)} -> {local} ({size}{note})")
    else:
        # a name is data: a newline in it must not start a line of its own
        source, url = shown(item.source.path), shown(item.url)
        size = human_size(item.source.size)
        if outcome.status == "uploaded":
            reporter.info(f"uploaded {source} -> {url} ({size})")
        elif outcome.status == "skipped":
            verb = "would skip" if dry_run else "skipped"
            reporter.info(f"{verb} {source}: already on the collection ({url})")
        else:
            reporter.info(f"would upload {source} -> {url} ({size})")


def scrub(reporter: Reporter, outcomes: Sequence[Outcome[Any]]) -> None:
    """Errors carry the server's words, which can echo a token: scrubbed once, before any
    sink (log, manifest, outputs, summary) and before any escaping could hide one."""
    for outcome in outcomes:
        if outcome.error:
            outcome.error = reporter.scrub(outcome.error)


def _write_manifest(reporter: Reporter, path: Path | None, document: dict[str, Any]) -> str | None:
    if path is None:
        return None
    write_json(path, document)
    reporter.debug(f"manifest written to {path}")
    return str(path)


# -- upload ---------------------------------------------------------------------------------


def finish_upload(
    reporter: Reporter,
    outcomes: Sequence[Outcome[PlannedUpload]],
    seconds: float,
    where: tuple[str, str, Path | None],
    attempted: bool = True,
    leftovers: Sequence[str] = (),
    task_id: str = "",
) -> None:
    """The count, manifest and CI outputs; ``where`` is the collection, the destination and
    the manifest file. ``attempted`` False when the run stopped before its first file (each
    is then recorded as failed with that reason, but not counted aloud). ``leftovers``:
    partial files DELETE did not remove, named everywhere a reader of the run looks."""
    collection, destination, manifest = where
    scrub(reporter, outcomes)
    warnings = [
        f"could not remove {shown(url)}, a partial or temporary file a failed attempt left: "
        "delete it in the Globus web app"
        for url in leftovers
    ]
    for warning in warnings:
        reporter.warn(warning)
    counts = _counts(outcomes)
    if not attempted:
        count = len(outcomes)
        files = "its only file" if count == 1 else f"the first of {count} files"
        reporter.tally(f"nothing uploaded: stopped before {files}", True)
    else:
        parts = [f"{counts['uploaded']} uploaded ({human_size(counts['bytes'])})"]
        parts += [f"{counts[s]} {s}" for s in ("skipped", "planned", "submitted") if counts[s]]
        parts.append(f"{counts['failed']} failed")
        reporter.tally(", ".join(parts) + f" in {seconds:.1f}s", bool(counts["failed"]))
    record = upload_manifest(collection, destination, outcomes)
    if warnings:
        record["warnings"] = warnings
    if task_id:  # the Transfer task that moved the bytes (--engine task)
        record["task_id"] = task_id
    written = _write_manifest(reporter, manifest, record)
    uploaded = [o for o in outcomes if o.status == "uploaded"]
    outputs = {
        "uploaded": reporter.list_output(
            "uploaded", [o.item.url for o in uploaded], "URLs", manifest_named(written)
        ),
        "count": str(len(uploaded)),
        "bytes": str(counts["bytes"]),
        "manifest": written or "",
        "task-id": task_id,
    }
    notes = "".join(f"> **warning:** {markdown_text(w)}\n\n" for w in warnings[:20])
    reporter.finish_ci(outputs, notes + upload_table(outcomes, collection))


def upload_table(outcomes: Sequence[Outcome[PlannedUpload]], collection: str) -> str:
    """A Markdown table, failures first, cut to fit GitHub's limit for large runs."""
    counts = _counts(outcomes)
    head = (
        f"### globusput: {counts['uploaded']} uploaded ({human_size(counts['bytes'])}), "
        f"{counts['skipped']} skipped, {counts['failed']} failed\n\n"
        f"Collection `{collection}`\n\n| status | file | size | destination |\n|---|---|---|---|\n"
    )
    rows = []
    for o in sorted(outcomes, key=lambda o: (o.status != "failed", o.item.source.path)):
        if o.status == "failed":
            where = markdown_text(o.error or "")
        else:
            where = f"[{markdown_text(o.item.path)}]({markdown_url(o.item.url)})"
        rows.append(
            f"| {MARK[o.status]} | {markdown_text(o.item.source.path)} | "
            f"{human_size(o.item.source.size)} | {where} |\n"
        )
    return cut_table(head, rows)


def _counts(outcomes: Sequence[Outcome[PlannedUpload]]) -> dict[str, int]:
    counts = {"uploaded": 0, "skipped": 0, "failed": 0, "planned": 0, "submitted": 0, "bytes": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.status == "uploaded":
            counts["bytes"] += outcome.item.source.size
    return counts


# -- get ------------------------------------------------------------------------------------


def finish_get(
    reporter: Reporter,
    outcomes: Sequence[Outcome[PlannedDownload]],
    seconds: float,
    collection: str,
    manifest: Path | None,
) -> None:
    scrub(reporter, outcomes)
    done = [o for o in outcomes if o.status != "failed"]
    failed = len(outcomes) - len(done)
    fetched = [o for o in done if o.status == "fetched"]
    size = human_size(sum(o.size for o in fetched))
    kept = len(done) - len(fetched)
    skipped = f", {kept} skipped (already here)" if kept else ""
    reporter.tally(
        f"{len(fetched)} fetched ({size}){skipped}, {failed} failed in {seconds:.1f}s",
        bool(failed),
    )
    written = _write_manifest(reporter, manifest, get_manifest(collection, outcomes))
    outputs = {
        "fetched": reporter.list_output(
            "fetched", [str(o.item.local) for o in done], "files", manifest_named(written)
        ),
        "count": str(len(done)),
        "bytes": str(sum(o.size for o in done)),
        "manifest": written or "",
    }
    head = (
        f"### globusput get: {len(done)} fetched ({size}), "
        f"{failed} failed\n\nCollection `{collection}`\n\n"
        "| status | file | size | saved as |\n|---|---|---|---|\n"
    )
    rows = [
        f"| {MARK[o.status]} | {markdown_text(o.item.path)} | {human_size(o.size)} | "
        f"{markdown_text((o.error or '') if o.status == 'failed' else str(o.item.local))} |\n"
        for o in sorted(outcomes, key=lambda o: (o.status != "failed", o.item.path))
    ]
    reporter.finish_ci(outputs, cut_table(head, rows))


# -- delete and prune -----------------------------------------------------------------------


def finish_removal(
    reporter: Reporter, paths: Sequence[str], task_id: str, dry_run: bool, collection: str
) -> None:
    """The paths deleted (or, in a dry run, that would be), and the task that did it."""
    verb = "would delete" if dry_run else "deleted"
    for path in paths:
        reporter.info(f"{verb} {shown(path)}")
    by = f" by Transfer task {task_id}" if task_id else ""
    reporter.tally(f"{len(paths)} {verb}{by}", False)
    outputs = {
        "deleted": reporter.list_output("deleted", list(paths), "paths", "the log"),
        "count": str(len(paths)),
        "task-id": task_id,
    }
    head = f"### globusput: {len(paths)} {verb}{by}\n\nCollection `{collection}`\n\n"
    head += "| path |\n|---|\n"
    reporter.finish_ci(outputs, cut_table(head, [f"| {markdown_text(p)} |\n" for p in paths]))
