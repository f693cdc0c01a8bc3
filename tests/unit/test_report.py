"""The job summary and outputs stay within GitHub's limits, saying what was cut."""

from __future__ import annotations

import io
import json
from pathlib import Path, PurePosixPath

from globusput.ci import detect
from globusput.outcomes import Outcome
from globusput.plans import PlannedUpload
from globusput.report import Reporter, fit_output
from globusput.selection import LocalFile
from globusput.summary import upload_table

#: GitHub's published limits, not the product's own margins below them: a step summary may hold
#: 1 MiB; a job's outputs together 1 MB, counted in UTF-16.
GITHUB_SUMMARY = 1 << 20
GITHUB_OUTPUTS = 1_000_000


def github(tmp_path: Path) -> Reporter:
    """A reporter as in GitHub Actions, its output and summary files in ``tmp_path``."""
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    out = io.StringIO()
    return Reporter(out=out, err=io.StringIO(), ci=detect(out, environ))


def outcome(n: int) -> Outcome[PlannedUpload]:
    name = f"{n:06d}-" + "x" * 200 + ".txt"
    local = LocalFile(f"out/{name}", PurePosixPath(name), 10)
    return Outcome(PlannedUpload(local, f"/d/{name}", "https://h"), "uploaded")


def test_a_huge_summary_is_cut_below_githubs_limit_with_a_note() -> None:
    outcomes = [outcome(n) for n in range(6000)]
    summary = upload_table(outcomes, "c")
    assert len(summary.encode()) <= GITHUB_SUMMARY
    assert "more files are not listed; see the manifest" in summary


def test_the_url_output_is_cut_below_githubs_limit_counted_in_utf16() -> None:
    urls = [o.item.url for o in (outcome(n) for n in range(6000))]
    kept = fit_output(urls)
    assert 0 < len(kept) < len(urls) and kept == urls[: len(kept)]
    assert len(json.dumps(kept).encode("utf-16-le")) <= GITHUB_OUTPUTS
    assert fit_output(urls[:10]) == urls[:10]


def test_verifys_three_lists_together_stay_below_githubs_output_limit(tmp_path: Path) -> None:
    """missing, different and extra share one job's 1 MB: each may take a third."""
    from globusput.manifest import Verdict, Wanted
    from globusput.verdicts import publish_verify

    from ..github_files import read_outputs

    names = [f"/d/{n:06d}-" + "x" * 200 for n in range(6000)]
    verdict = Verdict(
        missing=[Wanted(n + "m", 1, None) for n in names],
        different=[(Wanted(n + "d", 1, None), 2) for n in names],
        extra=[n + "e" for n in names],
    )
    reporter = github(tmp_path)
    publish_verify(reporter, verdict, [], "c")
    outputs = read_outputs(tmp_path / "output")
    lists = [json.loads(outputs[name]) for name in ("missing", "different", "extra")]
    assert all(0 < len(kept) < len(names) for kept in lists)
    assert sum(len((n + outputs[n]).encode("utf-16-le")) for n in outputs) <= GITHUB_OUTPUTS
    assert reporter.err.getvalue().count("lists them all") == 3  # type: ignore[attr-defined]


def test_a_token_echoed_by_the_server_reaches_no_sink(tmp_path: Path) -> None:
    """Not the log, the manifest, the outputs nor the summary, where Markdown escaping
    (``_`` -> ``\\_``) would otherwise hide it from the masking."""
    from globusput.summary import finish_upload

    token = "tok_en_" + "x" * 20
    reporter = github(tmp_path)
    reporter.add_secret(token)
    failed = outcome(1)
    failed.status, failed.error = "failed", f"the server answered 400 bad token {token}"
    finish_upload(reporter, [failed, outcome(2)], 1.0, ("c", "/d/", tmp_path / "m.json"))
    for sink in ("output", "summary", "m.json"):
        text = (tmp_path / sink).read_text()
        assert token not in text and token.replace("_", "\\_") not in text, sink
    assert "bad token ***" in (tmp_path / "m.json").read_text()


def test_a_million_extra_files_make_a_bounded_log() -> None:
    """Each problem a line up to a limit per kind, then one line with the count; at most 51
    annotations (GitHub shows 50 a job)."""
    from globusput.manifest import Verdict
    from globusput.verdicts import verdict_lines

    out, err = io.StringIO(), io.StringIO()
    reporter = Reporter(out=out, err=err, ci=detect(out, {"GITHUB_ACTIONS": "true"}))
    verdict = Verdict(extra=[f"/d/{n}" for n in range(100_000)])
    verdict_lines(reporter, verdict, [])
    lines = err.getvalue().splitlines()
    assert len(lines) <= 1001
    assert lines[-1] == (
        "warning: 99000 more extra files are not listed here; the 'extra' output and the job "
        "summary name more"
    )
    assert 1 <= out.getvalue().count("::error ") <= 51
