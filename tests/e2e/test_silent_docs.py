"""Where Globus's docs are silent (HEAD, DELETE): globusput works whichever answer comes.

The GCS docs promise HTTPS "download and upload of files only". The stand-in answers HEAD and
DELETE by default; faults on ``data.HEAD`` and ``data.DELETE`` give every other plausible
answer: not allowed (405), refused (403), not built (501), or a redirect to a login page.
"""

from __future__ import annotations

import json

import pytest

from .conftest import Runner

FOREVER = 10**6


@pytest.mark.parametrize("status", [405, 403, 501, 302])
def test_without_head_sizes_are_read_from_the_listing_after_one_probe(
    run: Runner, status: int
) -> None:
    location = {"location": "https://auth.globus.org/v2/oauth2/authorize"} if status == 302 else {}
    run.standin.add_fault("status", route="data.HEAD", status=status, times=FOREVER, **location)
    expected = {}
    for n in range(10):  # five quiet folders of two files: each file's size is read back
        run.remote_folder(f"/q{n % 5}")
        run.write(f"f{n}.txt", f"file {n}")
        expected[f"/q{n % 5}/f{n}.txt"] = f"file {n}".encode()
    for n in range(10):
        result = run("-v", f"f{n}.txt", f"/q{n % 5}/", run.collection_id)
        assert result.returncode == 0, result.output
    assert run.tree() == expected
    counts = run.standin.counts
    assert counts["data.HEAD"] == 10  # one probe per run: each of these runs sends one file
    assert counts["data.PUT"] == 10 and counts["transfer.ls"] == 10
    assert f"HEAD answered {status}: stored sizes are read from Transfer's listing" in result.stderr


def test_one_run_probes_head_once(run: Runner) -> None:
    run.standin.add_fault("status", route="data.HEAD", status=405, times=FOREVER)
    for n in range(6):
        run.remote_folder(f"/q{n}")
        run.write(f"q{n}/f.txt", f"file {n}")
    result = run("--base-dir", ".", "q*/f.txt", "/", run.collection_id)
    assert result.returncode == 0, result.output
    assert len(run.tree()) == 6
    counts = run.standin.counts
    assert (counts["data.HEAD"], counts["data.PUT"], counts["transfer.ls"]) == (1, 6, 6)


def test_a_partial_file_delete_did_not_remove_is_named_everywhere(run: Runner) -> None:
    run.remote_folder("/d")
    run.write("big.bin", b"x" * 200_000)
    run.standin.add_fault("reset", path="/d/big.bin", after_bytes=50_000, times=FOREVER)
    run.standin.add_fault("status", route="data.DELETE", status=405, times=FOREVER)
    summary = run.workspace / "summary.md"
    result = run(
        "--retries", "1", "--no-atomic", "--manifest", "m.json", "big.bin", "/d/",
        run.collection_id, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.returncode == 1, result.output
    assert run.collection.fs_path("/d/big.bin").exists()  # the truncated file stayed
    words = "could not remove https://"
    assert words in result.output and "/d/big.bin, a partial or temporary file" in result.output
    warnings = json.loads((run.workspace / "m.json").read_text())["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith(words)
    assert "could not remove https\\://" in summary.read_text()  # escaped for Markdown


def test_without_head_or_listing_the_files_go_and_the_run_says_they_are_unchecked(
    run: Runner,
) -> None:
    run.standin.add_fault("status", route="data.HEAD", status=405, times=FOREVER)
    run.collection.transfer_denied.add(f"{run.client_id}@clients.auth.globus.org")
    run.remote_folder("/d")
    run.write("a.txt", "a")
    run.write("b.txt", "b")
    result = run("a.txt", "b.txt", "/d/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {"/d/a.txt": b"a", "/d/b.txt": b"b"}
    assert run.standin.counts["data.PUT"] == 2  # each sent once: no retry for an unknowable size
    assert "the stored sizes in 1 folders (such as /d/) were not read back" in result.stderr
