"""What ``verify`` tells people and machines: a line per file that is not as recorded (at
most :data:`VERDICT_LINES` of a kind: a collection can hold a million extra files), the count,
CI outputs and the job summary."""

from __future__ import annotations

from collections.abc import Sequence

from globusput.inert import markdown_text, shown
from globusput.manifest import Verdict
from globusput.outcomes import Outcome
from globusput.plans import PlannedDownload
from globusput.report import OUTPUT_LIMIT, Reporter, cut_table
from globusput.summary import scrub


def finish_verify(
    reporter: Reporter,
    verdict: Verdict,
    checked: Sequence[Outcome[PlannedDownload]],
    hashed: bool,
    collection: str,
) -> None:
    """A line per file that is not as recorded, the count, CI outputs and summary. A file
    whose hash could not be taken (network, permission) is said as such, not as different."""
    scrub(reporter, checked)
    failed = [o for o in checked if o.status == "failed"]
    verdict_lines(reporter, verdict, failed)
    same = len(verdict.present) - len(failed)
    what = "same size and SHA-256" if hashed else "same size"
    line = (
        f"{same} of {same + len(failed) + len(verdict.missing) + len(verdict.different)} "
        f"files as recorded ({what}); {len(verdict.missing)} missing, "
        f"{len(verdict.different) + len(failed)} different, {len(verdict.extra)} extra"
        + (f", {len(verdict.unusable)} unusable manifest entries" if verdict.unusable else "")
    )
    reporter.tally(line, not verdict.complete or bool(failed))
    publish_verify(reporter, verdict, [o for o in failed if o.mismatch], collection)


#: Lines per kind of problem verify prints (a collection can hold a million extra files).
VERDICT_LINES = 1000


def verdict_lines(
    reporter: Reporter, verdict: Verdict, changed: Sequence[Outcome[PlannedDownload]]
) -> None:
    """One line per file that is not as recorded, up to :data:`VERDICT_LINES` of a kind."""
    kinds = [
        ("missing", [f"missing {shown(w.path)}" for w in verdict.missing[: VERDICT_LINES + 1]]),
        (
            "different",
            [
                f"different {shown(w.path)}: {size} bytes on the collection, "
                f"{w.size} in the manifest"
                for w, size in verdict.different[: VERDICT_LINES + 1]
            ]
            + [
                f"{'different' if o.mismatch else 'could not check'} {shown(o.item.path)}: "
                f"{shown(o.error or '')}"
                for o in changed[: VERDICT_LINES + 1]
            ],
        ),
        (
            "extra",
            [
                f"extra {shown(p)}: on the collection, not in the manifest"
                for p in verdict.extra[: VERDICT_LINES + 1]
            ],
        ),
        (
            "unusable",
            [
                f"unusable manifest {what}: {shown(why)}"
                for what, why in verdict.unusable[: VERDICT_LINES + 1]
            ],
        ),
    ]
    kinds.append(
        (
            "unchecked",
            [
                f"could not look for extra files in {shown(folder)}/: it holds more entries "
                "than Transfer's listing limit (its manifest files were looked up one by one)"
                for folder in verdict.unchecked[: VERDICT_LINES + 1]
            ],
        )
    )
    counts = {
        "missing": len(verdict.missing),
        "different": len(verdict.different) + len(changed),
        "extra": len(verdict.extra),
        "unusable": len(verdict.unusable),
        "unchecked": len(verdict.unchecked),
    }
    for kind, lines in kinds:
        for line in lines[:VERDICT_LINES]:
            reporter.error(line)
        if counts[kind] > VERDICT_LINES:
            reporter.warn(
                f"{counts[kind] - VERDICT_LINES} more {kind} files are not listed here; the "
                f"'{kind}' output and the job summary name more"
            )


def publish_verify(
    reporter: Reporter,
    verdict: Verdict,
    changed: Sequence[Outcome[PlannedDownload]],
    collection: str,
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
