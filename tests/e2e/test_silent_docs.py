"""Where Globus's docs are silent (HEAD, DELETE): globusput works whichever answer comes.

The GCS docs promise HTTPS "download and upload of files only". The stand-in answers HEAD and
DELETE by default; faults on ``data.HEAD`` and ``data.DELETE`` give every other plausible
answer: not allowed (405), refused (403), not built (501), or a redirect to a login page.
"""

from __future__ import annotations

import collections
import json
import os
import posixpath

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


# -- listings: a limit, entries that are neither file nor folder, renames that copy --------


def test_a_folder_over_the_listing_limit_does_not_stop_a_run(run: Runner) -> None:
    """Transfer refuses to list a folder of more than 100,000 entries (here 5): an upload
    into it looks its files up one at a time; get of it and verify say what they could not
    do, and the manifest's files still come."""
    run.collection.listing_limit = 5
    run.remote_folder("/big")
    for n in range(8):
        run.collection.fs_path(f"/big/old{n}.bin").write_bytes(b"old")
    run.collection.fs_path("/big/same.txt").write_bytes(b"same")
    run.write("up/same.txt", "same")  # same size, and the collection's copy is newer
    run.write("up/new.txt", "new")
    os.utime(run.workspace / "up/same.txt", (1_000_000_000, 1_000_000_000))
    args = ("--overwrite", "changed", "--manifest", "m.json", "up/same.txt", "up/new.txt")
    result = run(*args, "/big/", run.collection_id)
    assert result.returncode == 0, result.output
    assert "skipped up/same.txt" in result.stdout and run.stored("/big/new.txt") == b"new"
    assert "more entries than its listing limit" in result.stderr
    result = run("get", "/big/", "back", run.collection_id)
    assert result.returncode == 1, result.output
    assert "Globus Transfer will not list /big/" in result.stderr
    result = run("get", "--from-manifest", "m.json", "back")
    assert result.returncode == 0, result.output
    assert (run.workspace / "back/big/new.txt").read_bytes() == b"new"
    result = run("verify", "m.json")
    assert result.returncode == 1, result.output
    assert "could not look for extra files in /big/" in result.stderr
    assert "2 of 2 files as recorded" in result.stderr


def test_a_broken_link_in_a_listing_fails_alone(run: Runner) -> None:
    run.remote_folder("/rel")
    run.collection.fs_path("/rel/a.txt").write_bytes(b"a")
    run.collection.fs_path("/rel/gone").symlink_to("/nowhere/at/all")
    result = run("get", "/rel/", "back", run.collection_id)
    assert result.returncode == 1, result.output
    assert "it is neither a file nor a folder (type 'invalid_symlink')" in result.stderr
    assert (run.workspace / "back/rel/a.txt").read_bytes() == b"a"
    assert run.standin.counts["transfer.ls"] == 1  # never entered as a folder


def test_storage_that_copies_on_rename_is_told_apart(run: Runner) -> None:
    """rename_supported: false (object storage): --whole-folder refuses up front, and
    temporary names give way to uploads in place."""
    run.collection.rename_supported = False
    run.remote_folder("/rel")
    run.write("out/a.txt", "a")
    result = run("--whole-folder", "--base-dir", "out", "out", "/rel/1.0/", run.collection_id)
    assert result.returncode == 2, result.output
    assert "storage copies on rename (rename_supported: false)" in result.stderr
    assert run.standin.count("data.") == 0 and run.standin.counts["transfer.mkdir"] == 0
    result = run("--atomic", "--overwrite", "changed", "out/a.txt", "/rel/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/rel/a.txt") == b"a" and run.standin.counts["transfer.rename"] == 0
    assert result.stderr.count("copies on rename") == 1


# -- /~/: Transfer resolves it, the HTTPS server does not -----------------------------------


def test_a_home_destination_is_resolved_once_through_transfer(run: Runner) -> None:
    run.collection.home = "/home/jdoe"
    run.remote_folder("/home/jdoe")
    run.write("out/a.txt", "a")
    run.write("out/b.txt", "b")
    result = run("--manifest", "m.json", "out/a.txt", "out/b.txt", "~/reports/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {"/home/jdoe/reports/a.txt": b"a", "/home/jdoe/reports/b.txt": b"b"}
    assert f"{run.collection.https_server}/home/jdoe/reports/a.txt" in result.stdout
    assert not any((e.get("path") or "").startswith("/~") for e in run.standin.log
                   if e["route"].startswith("data."))  # fmt: skip
    result = run("get", "/~/reports/", "back", run.collection_id)
    assert result.returncode == 0, result.output
    assert (run.workspace / "back/home/jdoe/reports/b.txt").read_bytes() == b"b"


def test_a_home_transfer_does_not_place_is_refused_with_a_reason(run: Runner) -> None:
    run.collection.home = None  # listings say "absolute_path": null, as one recorded answer
    run.write("a.txt", "a")
    result = run("a.txt", "/~/x/", run.collection_id)
    assert result.returncode == 2, result.output
    assert "Globus Transfer did not say where /~/ is" in result.stderr
    assert run.standin.count("data.") == 0


def test_200_files_without_head_cost_what_they_cost_with_it(run: Runner) -> None:
    """Busy folders are checked by one listing each, so a server without HEAD changes
    nothing for them: one ls per folder. Only the last folder may be listed while its last
    files are sent (when this run's timings say that ends sooner); its late files then cost one
    refused HEAD and one more listing of it, never a HEAD each."""
    run.standin.add_fault("status", route="data.HEAD", status=405, times=FOREVER)
    expected = {}
    for n in range(200):
        run.write(f"out/{'abcd'[n % 4]}/f{n}.bin", f"file {n}")
        expected[f"/dist/{'abcd'[n % 4]}/f{n}.bin"] = f"file {n}".encode()
    result = run("--base-dir", "out", "out", "/dist/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == expected
    counts = run.standin.counts
    listed = sorted(e["target"] for e in run.standin.log if e["route"] == "transfer.ls")
    assert sorted(set(listed)) == [f"/dist/{f}" for f in "abcd"], listed
    assert counts["transfer.ls"] - 4 == counts["data.HEAD"] <= 1 and counts["transfer.mkdir"] == 5
    # a refused first PUT per new folder (a few more when its files start together)
    assert 200 + 4 <= counts["data.PUT"] <= 200 + 4 * 4


def _far_upload_into_folders(run: Runner, folders: str, count: int) -> None:
    """``count`` files into each of ``folders`` (existing), a listing 0.5 s away, a PUT 0.02 s;
    every file must arrive."""
    expected = {}
    for folder in folders:
        run.remote_folder(f"/dist/{folder}")
        for n in range(count):
            run.write(f"out/{folder}/f{n}.bin", f"{folder} {n}")
            expected[f"/dist/{folder}/f{n}.bin"] = f"{folder} {n}".encode()
    run.standin.set_distance({"auth": 0.02, "transfer": 0.03, "op": 0.5, "data": 0.02})
    result = run("--base-dir", "out", "out", "/dist/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == expected


@pytest.mark.parametrize("head", ["answered", "refused"])
def test_the_last_folder_is_checked_by_head_when_sooner_and_listed_without_head(
    run: Runner, head: str
) -> None:
    """Far away, the run's last folder is checked by a HEAD per file once this run's listings
    were seen to take longer than that; a server without HEAD has it listed once after one
    probe, never a listing per file. Which folder goes last depends on which folder's first PUT is
    answered last; each folder's 24 files take about 0.2 s, a listing 0.5 s."""
    if head == "refused":
        run.standin.add_fault("status", route="data.HEAD", status=405, times=FOREVER)
    _far_upload_into_folders(run, "abcdef", 24)
    listed = collections.Counter(
        e["target"] for e in run.standin.log if e["route"] == "transfer.ls"
    )
    heads = {posixpath.dirname(e["path"]) for e in run.standin.log if e["route"] == "data.HEAD"}
    if head == "answered":  # one folder (the last) not listed: its 24 files were HEADed
        assert len(listed) == 5 and set(listed.values()) == {1}, listed
        assert run.standin.counts["data.HEAD"] == 24 and len(heads) == 1
        assert heads.isdisjoint(listed)
    else:  # every folder listed once, the last by its refused probe (the rest read from it)
        assert len(listed) == 6 and set(listed.values()) == {1}, listed
        assert run.standin.counts["data.HEAD"] == 1


@pytest.mark.parametrize("head", ["answered", "refused"])
def test_a_big_last_folder_is_listed_while_its_last_files_are_sent(run: Runner, head: str) -> None:
    """Far away, a big last folder's listing leaves before its last PUTs, for the files done
    by then; the others are checked by HEAD, or, on a server without HEAD, by a second
    listing after one probe. Each folder's 96 files take about 0.6 s, a listing 0.5 s."""
    if head == "refused":
        run.standin.add_fault("status", route="data.HEAD", status=405, times=FOREVER)
    _far_upload_into_folders(run, "abc", 96)
    log = run.standin.log
    listed = collections.Counter(e["target"] for e in log if e["route"] == "transfer.ls")
    last = max((e for e in log if e["route"] == "data.PUT"), key=lambda e: e["at"])
    folder = posixpath.dirname(last["path"])
    early = min(e["at"] for e in log if e["route"] == "transfer.ls" and e["target"] == folder)
    assert early < last["at"], "the last folder was listed only after its last PUT"
    if head == "answered":  # a listing each; the last folder's late files HEADed
        assert set(listed.values()) == {1} and len(listed) == 3, listed
        heads = [e["path"] for e in log if e["route"] == "data.HEAD"]
        assert 0 < len(heads) < 96 and {posixpath.dirname(p) for p in heads} == {folder}
    else:  # its late files: one HEAD refused, then a second listing
        assert sorted(listed.values()) == [1, 1, 2] and listed[folder] == 2, listed
        assert run.standin.counts["data.HEAD"] == 1
