"""The job summary and outputs stay within GitHub's limits, saying what was cut."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from globusput.layout import PlannedUpload
from globusput.report import OUTPUT_LIMIT, SUMMARY_LIMIT, fit_output, step_summary
from globusput.selection import LocalFile
from globusput.upload import Outcome


def outcome(n: int) -> Outcome:
    name = f"{n:06d}-" + "x" * 200 + ".txt"
    local = LocalFile(f"out/{name}", PurePosixPath(name), 10)
    return Outcome(PlannedUpload(local, f"/d/{name}", "https://h"), "uploaded")


def test_a_huge_summary_is_cut_below_githubs_limit_with_a_note() -> None:
    outcomes = [outcome(n) for n in range(6000)]
    summary = step_summary(outcomes, "c")
    assert len(summary.encode()) < SUMMARY_LIMIT
    assert "more files are not listed; see the manifest" in summary


def test_the_url_output_is_cut_below_githubs_limit_counted_in_utf16() -> None:
    urls = [o.item.url for o in (outcome(n) for n in range(6000))]
    kept = fit_output(urls)
    assert 0 < len(kept) < len(urls) and kept == urls[: len(kept)]
    assert len(json.dumps(kept).encode("utf-16-le")) <= OUTPUT_LIMIT
    assert fit_output(urls[:10]) == urls[:10]
