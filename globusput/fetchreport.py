"""What ``get`` and ``verify`` tell people and machines: lines, manifest, CI outputs, summary.

The same rules as an upload's report: names are data (made inert before they are printed or
put in Markdown), outputs stay within GitHub's limits, and the manifest lists everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from globusput.download import Fetched
from globusput.fetchplan import Verdict
from globusput.inert import markdown_text, shown
from globusput.report import OUTPUT_LIMIT, Reporter, cut_table, human_size, manifest_named

MARK = {"fetched": "✅ fetched", "failed": "❌ failed"}


def fetched_line(reporter: Reporter, outcome: Fetched) -> None:
    item = outcome.item
    if outcome.status == "failed":
        reporter.error(f"{shown(item.path)}: {shown(outcome.error or '')}")
    else:
        size = human_size(outcome.size)
        reporter.info(f"fetched {shown(item.path)} -> {shown(str(item.local))} ({size})")


def fetch_summary_line(reporter: Reporter, outcomes: Sequence[Fetched], seconds: float) -> None:
    done = [o for o in outcomes if o.status != "failed"]
    failed = len(outcomes) - len(done)
    size = human_size(sum(o.size for o in done))
    reporter.tally(f"{len(done)} fetched ({size}), {failed} failed in {seconds:.1f}s", bool(failed))


def fetch_manifest(collection_id: str, outcomes: Sequence[Fetched]) -> dict[str, Any]:
    """Like an upload's manifest, the other way round: ``source`` is the collection's URL."""
    done = [o for o in outcomes if o.status == "fetched"]
    return {
        "collection_id": collection_id,
        "files": [
            {
                "source": o.item.url,
                "destination": str(o.item.local),
                "size": o.size if o.status == "fetched" else o.item.size,
                "sha256": o.sha256,
                "status": o.status,
                "error": o.error,
            }
            for o in outcomes
        ],
        "fetched": len(done),
        "failed": sum(1 for o in outcomes if o.status == "failed"),
        "bytes": sum(o.size for o in done),
    }


def publish_fetch(
    reporter: Reporter, outcomes: Sequence[Fetched], manifest_path: str | None, collection: str
) -> None:
    done = [o for o in outcomes if o.status == "fetched"]
    size = sum(o.size for o in done)
    outputs = {
        "fetched": reporter.list_output(
            "fetched", [str(o.item.local) for o in done], "files", manifest_named(manifest_path)
        ),
        "count": str(len(done)),
        "bytes": str(size),
        "manifest": manifest_path or "",
    }
    failed = len(outcomes) - len(done)
    head = (
        f"### globusput get: {len(done)} fetched ({human_size(size)}), "
        f"{failed} failed\n\nCollection `{collection}`\n\n"
        "| status | file | size | saved as |\n|---|---|---|---|\n"
    )
    rows = [
        f"| {MARK[o.status]} | {markdown_text(o.item.path)} | {human_size(o.size)} | "
        f"{markdown_text((o.error or '') if o.status == 'failed' else str(o.item.local))} |\n"
        for o in sorted(outcomes, key=lambda o: (o.status != "failed", o.item.path))
    ]
    reporter.finish_ci(outputs, cut_table(head, rows))


def verdict_lines(reporter: Reporter, verdict: Verdict, changed: Sequence[Fetched]) -> None:
    """One line per file that is not as recorded, then the count."""
    for wanted in verdict.missing:
        reporter.error(f"missing {shown(wanted.path)}")
    for wanted, size in verdict.different:
        reporter.error(
            f"different {shown(wanted.path)}: {size} bytes on the collection, "
            f"{wanted.size} in the manifest"
        )
    for outcome in changed:
        what = "different" if outcome.mismatch else "could not check"
        reporter.error(f"{what} {shown(outcome.item.path)}: {shown(outcome.error or '')}")
    for path in verdict.extra:
        reporter.error(f"extra {shown(path)}: on the collection, not in the manifest")


def verify_summary_line(
    reporter: Reporter, verdict: Verdict, changed: Sequence[Fetched], hashed: bool
) -> None:
    same = len(verdict.present) - len(changed)
    what = "same size and SHA-256" if hashed else "same size"
    line = (
        f"{same} of {same + len(changed) + len(verdict.missing) + len(verdict.different)} "
        f"files as recorded ({what}); {len(verdict.missing)} missing, "
        f"{len(verdict.different) + len(changed)} different, {len(verdict.extra)} extra"
    )
    reporter.tally(line, not verdict.complete or bool(changed))


def publish_verify(
    reporter: Reporter, verdict: Verdict, changed: Sequence[Fetched], collection: str
) -> None:
    different = [w.path for w, _ in verdict.different] + [o.item.path for o in changed]
    lists = {
        "missing": [w.path for w in verdict.missing],
        "different": different,
        "extra": verdict.extra,
    }
    # the three share GitHub's 1 MB for a job's outputs
    outputs = {
        name: reporter.list_output(name, paths, "paths", "the log", OUTPUT_LIMIT // len(lists))
        for name, paths in lists.items()
    }
    outputs["count"] = str(len(verdict.present) - len(changed))
    ok = verdict.complete and not changed
    head = (
        f"### globusput verify: {'complete' if ok else 'NOT as recorded'}\n\n"
        f"Collection `{collection}`: {outputs['count']} as recorded, "
        f"{len(verdict.missing)} missing, {len(different)} different, "
        f"{len(verdict.extra)} extra\n\n| problem | file |\n|---|---|\n"
    )
    rows = [
        *(f"| ❌ missing | {markdown_text(w.path)} |\n" for w in verdict.missing),
        *(f"| ❌ different | {markdown_text(p)} |\n" for p in different),
        *(f"| ⚠️ extra | {markdown_text(p)} |\n" for p in verdict.extra),
    ]
    reporter.finish_ci(outputs, cut_table(head, rows))
