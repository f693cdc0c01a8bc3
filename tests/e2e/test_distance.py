"""Globus is far away: remote calls per folder, pacing, 429s, placement and whole-folder mode.

The stand-in answers with a (small) latency model on, so requests overlap as they would against
the real services; what is asserted is what each run asked of Transfer and the HTTPS server.
"""

from __future__ import annotations

import json
import signal
import time

import pytest
import requests

from .conftest import Runner

#: Shaped like the facts file's estimates, scaled down so the suite stays fast.
LATENCY = {"auth": 0.02, "transfer": 0.03, "op": 0.08, "data": 0.005}
FOLDERS = ["a", "b", "c", "d"]


def operations(run: Runner) -> int:
    return sum(run.standin.counts[f"transfer.{k}"] for k in ("mkdir", "stat", "rename", "ls"))


def targets(run: Runner, route: str) -> list[str]:
    return [e["target"] for e in run.standin.log if e["route"] == route]


def spread(run: Runner, count: int, under: str) -> dict[str, bytes]:
    """``count`` files in out/ over four folders; returns what ``under`` should hold."""
    expected = {}
    for n in range(count):
        rel = f"{FOLDERS[n % len(FOLDERS)]}/f{n}.bin"
        data = f"file {n} ".encode() * (1 + n % 50)
        run.write(f"out/{rel}", data)
        expected[f"{under}{rel}"] = data
    return expected


@pytest.mark.parametrize("count", [10, 200])
def test_transfer_calls_grow_with_folders_not_files(run: Runner, count: int) -> None:
    expected = spread(run, count, "/dist/")
    run.standin.set_distance(LATENCY, (20, 1.0))
    result = run("--manifest", "m.json", "--base-dir", "out", "out", "/dist/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == expected
    folders = 1 + len(FOLDERS)  # /dist and its four subfolders, none existing before
    assert run.standin.count("transfer.") <= 2 * folders + 5, run.standin.counts
    assert sorted(set(targets(run, "transfer.mkdir"))) == ["/dist", *(f"/dist/{f}" for f in "abcd")]
    assert run.standin.counts["throttled"] == 0
    # each folder's first PUT found it missing, once (its other files waited for that answer,
    # not a refused PUT each); sizes were checked by one listing per busy folder (the last
    # one's late files by HEAD, where that ends sooner), by a HEAD per file in quiet ones
    puts = [e.get("path") for e in run.standin.log if e["route"] == "data.PUT"]
    assert run.standin.counts["data.PUT"] == count + len(FOLDERS), sorted(
        p for p in puts if puts.count(p) > 1
    )
    if count >= 8 * len(FOLDERS):
        assert run.standin.counts["transfer.ls"] == len(FOLDERS)
        heads = {e["path"].rsplit("/", 1)[0] for e in run.standin.log if e["route"] == "data.HEAD"}
        assert run.standin.counts["data.HEAD"] < count // len(FOLDERS) and len(heads) <= 1
    else:
        assert run.standin.counts["transfer.ls"] == 0
        assert run.standin.counts["data.HEAD"] == count
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert manifest["uploaded"] == count


def test_one_file_into_an_existing_folder_needs_no_transfer_operation(run: Runner) -> None:
    """The original one-file script's case: token, collection document, one PUT (+ a HEAD)."""
    run.remote_folder("/reports")
    run.write("report.html", "<p>ok</p>")
    run.standin.set_distance(LATENCY)
    result = run("report.html", "/reports/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/reports/report.html") == b"<p>ok</p>"
    assert operations(run) == 0 and run.standin.counts["transfer.endpoint"] == 1
    assert run.standin.counts["auth.token"] == 1
    assert (run.standin.counts["data.PUT"], run.standin.counts["data.HEAD"]) == (1, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nothing-*.zip", "/n/"), "no files match 'nothing-*.zip'"),
        (("get", "/n/", "a.txt"), "a.txt is a file: name a folder"),
    ],
)
def test_a_run_asks_for_its_token_while_its_settings_load(
    run: Runner, args: tuple[str, ...], message: str
) -> None:
    """The first grant goes before the input is checked (globusput/early.py): a run that its
    input stops has asked Auth and nothing else, and has not waited for the answer."""
    run.write("a.txt")
    run.standin.set_distance({"auth": 3.0})
    started = time.monotonic()
    result = run(*args, run.collection_id)
    assert result.returncode == 2 and message in result.stderr
    assert time.monotonic() - started < 3.0
    assert [(e["route"], e["grant"]) for e in run.standin.log] == [
        ("auth.token", "client_credentials")
    ]


def test_transfer_429_is_waited_out(run: Runner) -> None:
    run.write("x/a.txt", "a")
    run.standin.add_fault("status", route="transfer.mkdir", status=429, retry_after=1)
    started = time.monotonic()
    result = run("-v", "x/a.txt", "/slow/", run.collection_id)
    assert result.returncode == 0, result.output
    assert time.monotonic() - started >= 1
    assert run.stored("/slow/a.txt") == b"a"
    assert run.standin.counts["transfer.mkdir"] == 2  # the refused one and its repeat
    assert "throttled 1 time(s)" in result.stderr


def test_pacing_stays_under_the_rate_limit_and_a_lower_limit_only_slows(run: Runner) -> None:
    for n in range(16):  # 16 new folders: more Transfer requests than 10 a second allows
        run.write(f"many/f{n:02}/x.txt", str(n))
    run.remote_folder("/paced/many")
    run.standin.set_distance({"op": 0.01}, (20, 1.0))
    result = run("many", "/paced/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.standin.counts["throttled"] == 0
    assert run.standin.counts["transfer.mkdir"] == 16
    # never more than 10 Transfer requests in any second (as they arrive here: 0.2 s slack)
    arrivals = sorted(e["at"] for e in run.standin.log if e["route"].startswith("transfer."))
    busiest = max(sum(1 for t in arrivals if s <= t < s + 0.8) for s in arrivals)
    assert busiest <= 10, busiest
    # a stricter service: throttled, slowed down, still complete
    run.standin.reset()
    run.remote_folder("/paced/many")
    run.standin.set_distance({"op": 0.01}, (6, 1.0))
    result = run("-v", "many", "/paced/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.standin.counts["throttled"] >= 1
    assert "pace lowered" in result.stderr
    assert "Transfer: throttled; calls wait 1.0s, then 0.2s apart" in result.stderr
    assert len(run.tree()) == 16


def test_jobs_sharing_a_limit_without_retry_after_back_off_together(run: Runner) -> None:
    """Four runs of one pipeline share Transfer's limit, and its 429s say nothing of when to
    come back: each run spaces its calls after its first 429 instead of retrying in step, so
    the refusals stay near the first crowd's overflow and every run completes."""
    for job in range(4):
        for n in range(4):
            run.write(f"job{job}/{'ab'[n % 2]}/f{n}.txt", f"{job}-{n}")
    run.standin.set_distance(LATENCY, (8, 2.0), retry_after=False)
    jobs = [
        run.start("--base-dir", f"job{j}", f"job{j}", f"/job{j}/", run.collection_id)
        for j in range(4)
    ]
    for job in jobs:
        out, err = job.communicate(timeout=300)
        assert job.returncode == 0, out + err
    assert len(run.tree()) == 16
    answered = run.standin.count("transfer.") - run.standin.counts["throttled"]
    assert 1 <= run.standin.counts["throttled"] <= answered, run.standin.counts
    run.standin.set_distance(None, (1, 600.0), retry_after=False)  # the switch itself:
    url = f"{run.standin.url}v0.10/endpoint/{run.collection_id}"
    answers = [requests.get(url, verify=str(run.standin.ca_path), timeout=10) for _ in "12"]
    assert [a.status_code for a in answers] == [401, 429]  # over the limit: 429, no Retry-After
    assert "Retry-After" not in answers[1].headers


def test_big_files_go_through_a_temporary_name_small_ones_straight(run: Runner) -> None:
    run.remote_folder("/p")
    run.write("big.bin", b"B" * 5000)
    run.write("small.txt", b"s")
    result = run("--atomic-threshold", "4KB", "big.bin", "small.txt", "/p/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {"/p/big.bin": b"B" * 5000, "/p/small.txt": b"s"}
    renamed = [e["target"] for e in run.standin.log if e["route"] == "transfer.rename"]
    assert len(renamed) == 1 and ".big.bin.globusput-" in renamed[0]
    puts = [e["path"] for e in run.standin.log if e["route"] == "data.PUT"]
    assert "/p/small.txt" in puts and "/p/big.bin" not in puts


def test_folders_finished_together_are_listed_after_a_first_listing_answers(run: Runner) -> None:
    """Jobs sharing a client may have used up Transfer's limit by the time a run's folders
    are done; listed all at once, they would all be refused, each refusal counting against the
    limit. Here the first listing is refused: no other is sent until it has been answered."""
    for n in range(40):  # four busy folders, done at about the same time
        run.write(f"out/{FOLDERS[n % len(FOLDERS)]}/f{n}.bin", b"%d" % n * 100)
    run.remote_folder("/lead")
    run.standin.add_fault("status", route="transfer.ls", status=429, retry_after=1)
    run.standin.set_distance(LATENCY)
    result = run("--base-dir", "out", "out", "/lead/", run.collection_id)
    assert result.returncode == 0, result.output
    assert len(run.tree()) == 40
    listed = [e["at"] for e in run.standin.log if e["route"] == "transfer.ls"]
    assert run.standin.counts["throttled"] == 0 and len(listed) >= 3, listed  # 429 by fault
    assert all(at >= listed[0] + 1.0 for at in listed[1:]), [at - listed[0] for at in listed]


def test_a_short_file_found_by_the_listing_is_sent_again(run: Runner) -> None:
    run.remote_folder("/v")
    for n in range(10):
        run.write(f"v/{n}.bin", bytes([n]) * 3000)
    run.standin.add_fault("truncate", path="/v/7.bin", after_bytes=100)
    result = run("--concurrency", "2", "v/*.bin", "/v/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {f"/v/{n}.bin": bytes([n]) * 3000 for n in range(10)}
    assert run.standin.counts["transfer.ls"] == 1
    assert run.standin.counts["data.PUT"] == 11
    assert run.standin.counts["data.HEAD"] == 1  # only the file sent again is checked alone


# -- whole-folder publishing ----------------------------------------------------------------


STAGING = "/rel/.1.0.globusput-staging"
RECORD = STAGING + ".json"


def test_whole_folder_appears_complete_or_not_at_all(run: Runner) -> None:
    expected = spread(run, 40, "/rel/1.0/")
    run.remote_folder("/rel")
    run.standin.set_distance(LATENCY)
    run.standin.add_fault("slow", path="*/f3.bin", rate=20)
    proc = run.start("--whole-folder", "--base-dir", "out", "out", "/rel/1.0/", run.collection_id)
    seen_staging = seen_partial = False
    deadline = time.monotonic() + 120
    while proc.poll() is None:  # a reader of the collection, looking at the folder meanwhile
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the upload did not end within 120 s")
        try:
            published = {p: d for p, d in run.tree().items() if p.startswith("/rel/1.0/")}
        except FileNotFoundError:  # looked while the folder was being renamed: look again
            continue
        seen_partial |= bool(published) and published != expected
        seen_staging |= run.collection.fs_path(STAGING).exists()
        time.sleep(0.01)
    out, err = proc.communicate(timeout=30)
    run.outputs.append(out + err)
    assert proc.returncode == 0, out + err
    assert seen_staging and not seen_partial
    assert run.tree() == expected
    assert run.standin.counts["transfer.rename"] == 1
    assert "published /rel/1.0/ with 40 files at once" in out


def test_whole_folder_failure_keeps_staging_and_a_rerun_publishes(run: Runner) -> None:
    expected = spread(run, 12, "/rel/1.0/")
    run.standin.add_fault("status", path="*/f5.bin", status=400)
    result = run("--whole-folder", "--base-dir", "out", "out", "/rel/1.0/", run.collection_id)
    assert result.returncode == 1
    assert f"nothing was published: the uploaded files wait in {STAGING}/" in result.stderr
    assert not (run.collection.root / "rel" / "1.0").exists()
    staged = {p for p in run.tree() if p != RECORD}
    assert len(staged) == 11 and all(p.startswith(STAGING + "/") for p in staged)
    assert b'"globusput-staging": 1' in run.stored(RECORD)
    result = run(
        "--whole-folder", "--manifest", "m.json", "--base-dir", "out", "out", "/rel/1.0/",
        run.collection_id,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    assert run.tree() == expected  # published, and the record beside it is gone
    assert result.stdout.count("skipped ") == 11  # resumed: only the missing file was sent
    entries = json.loads((run.workspace / "m.json").read_text())["files"]
    assert (
        sorted(e.get("checked") for e in entries if e["status"] == "skipped")
        == ["size+staging-record"] * 11
    )


def test_whole_folder_refuses_an_existing_destination_and_foreign_staging(run: Runner) -> None:
    spread(run, 4, "/rel/1.0/")
    run.remote_folder("/rel/1.0")
    result = run("--whole-folder", "--base-dir", "out", "out", "/rel/1.0/", run.collection_id)
    assert result.returncode == 2
    assert "/rel/1.0/ already exists on the collection" in result.stderr
    assert run.standin.count("data.") == 0
    (run.collection.root / "rel" / "1.0").rmdir()
    run.remote_folder(STAGING + "/a")  # a staging folder without globusput's record
    (run.collection.fs_path(STAGING + "/a/f0.bin")).write_bytes(b"file 0 ")
    result = run("--whole-folder", "--base-dir", "out", "out", "/rel/1.0/", run.collection_id)
    assert result.returncode == 2
    assert f"{STAGING}/ exists without globusput's record {RECORD}" in result.stderr
    assert run.standin.counts["data.PUT"] == 0 and run.standin.counts["transfer.rename"] == 0


def test_whole_folder_needs_a_new_folder_destination(run: Runner) -> None:
    run.write("a.txt")
    result = run("--whole-folder", "a.txt", "/file.txt", run.collection_id)
    assert result.returncode == 2
    assert "whole-folder upload needs a destination folder" in result.stderr
    assert run.sent_nothing()


@pytest.mark.parametrize(
    "mode",
    [("--whole-folder",), (), ("--atomic-threshold", "1MiB")],
    ids=["whole-folder", "default-direct", "default-renamed"],
)
def test_interrupted_runs_leave_no_partial_file(run: Runner, mode: tuple[str, ...]) -> None:
    run.remote_folder("/rel")
    run.write("out/big.bin", b"x" * 3_000_000)
    run.write("out/small.txt", b"small")
    run.standin.add_fault("slow", rate=300_000, path="*big.bin*", times=3)
    proc = run.start(*mode, "--base-dir", "out", "out", "/rel/1.0/", run.collection_id)
    run.wait_for("data.PUT", "*big.bin*")
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    run.outputs.append(out + err)
    assert proc.returncode == 143, out + err
    time.sleep(0.3)
    stored = {p: d for p, d in run.tree().items() if p != RECORD}
    # the small file was sent first and is whole; nothing else holds a name
    assert all(data == b"small" for data in stored.values()), stored
    assert not any("big.bin" in path for path in stored)
    if mode == ("--whole-folder",):
        assert not (run.collection.root / "rel" / "1.0").exists()


def test_a_refusal_in_an_existing_busy_folder_stays_with_its_file(run: Runner) -> None:
    """403 may mean "no such folder": Transfer says the folder exists, so the 403 stands,
    for that file alone, and the folder's other files are still checked by one listing."""
    run.remote_folder("/v")
    for n in range(10):  # 4.bin the smallest: the folder's first PUT
        run.write(f"v/{n}.bin", bytes([n]) * (100 if n == 4 else 300))
    run.standin.add_fault("status", path="/v/4.bin", status=403, times=99)
    result = run("--concurrency", "1", "--manifest", "m.json", "v/*.bin", "/v/", run.collection_id)
    assert result.returncode == 3, result.output
    assert "v/4.bin: permission denied (403)" in result.stderr
    assert set(run.tree()) == {f"/v/{n}.bin" for n in range(10) if n != 4}
    counts = run.standin.counts
    # the run's first 403 might be an expired token: one renewal and one more PUT, no more
    assert (counts["transfer.mkdir"], counts["transfer.ls"], counts["data.PUT"]) == (1, 1, 11)
    assert counts["auth.token"] == 2
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert [f["status"] for f in manifest["files"]].count("uploaded") == 9


def test_listing_checks_see_dotfiles(run: Runner) -> None:
    """The check asks Transfer for hidden entries too; otherwise dotfiles would be re-sent."""
    run.remote_folder("/h")
    names = [".env.example", ".nojekyll", *(f"page{n}.html" for n in range(8))]
    for name in names:
        run.write(f"site/{name}", name)
    result = run("--include-hidden", "--base-dir", "site", "site", "/h/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {f"/h/{name}": name.encode() for name in names}
    counts = run.standin.counts
    assert (counts["transfer.ls"], counts["data.PUT"], counts["data.HEAD"]) == (1, 10, 0)


@pytest.mark.parametrize("status", [409, 404, 405, 403, 500])
def test_missing_folders_are_found_whatever_the_server_answers(run: Runner, status: int) -> None:
    """Globus does not document its answer to a PUT into a missing folder: each plausible one
    leads to the folder being made once, and to every file arriving."""
    run.collection.missing_folder_status = status
    expected = spread(run, 12, "/new/deep/")
    result = run("--concurrency", "1", "--base-dir", "out", "out", "/new/deep/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == expected
    made = targets(run, "transfer.mkdir")
    assert set(made) == {"/new", "/new/deep", *(f"/new/deep/{f}" for f in FOLDERS)}
    assert len(made) <= 2 * 6
    # one refused PUT per folder, no more; a 403 might also be an expired token: the run's
    # first one renews it and repeats that PUT once
    assert run.standin.counts["data.PUT"] == 12 + 4 + (status == 403)


@pytest.mark.parametrize("length", [True, False], ids=["head-with-length", "head-without"])
@pytest.mark.parametrize("modified", [True, False], ids=["last-modified", "no-last-modified"])
def test_sizes_are_read_back_whatever_a_head_carries(
    run: Runner, length: bool, modified: bool
) -> None:
    """HEAD headers are undocumented for GCS: without Content-Length the size comes from
    Transfer's listing; without Last-Modified nothing is judged fresh, so nothing is skipped."""
    run.collection.head_content_length = length
    run.collection.head_last_modified = modified
    run.remote_folder("/q")
    for name in ("a.txt", "b.txt"):
        run.write(f"q/{name}", name * 100)
    result = run("q/*.txt", "/q/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {"/q/a.txt": b"a.txt" * 100, "/q/b.txt": b"b.txt" * 100}
    assert run.standin.counts["data.HEAD"] == 2
    assert run.standin.counts["transfer.ls"] == (0 if length else 2)


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (409, 1, "/d/x is a folder"),
        (404, 1, "/d/x is a folder"),
        (405, 1, "/d/x is a folder"),
        (403, 3, "permission denied (403)"),
        (500, 1, "gave up after 2 attempts"),
    ],
)
def test_a_put_onto_a_folder_fails_alone_whatever_the_server_answers(
    run: Runner, status: int, code: int, words: str
) -> None:
    """With Transfer refusing operations nothing finds the folder before the PUT does, and
    the answer to a PUT onto a folder is undocumented: each one fails that file, clearly."""
    run.collection.missing_folder_status = status
    run.collection.transfer_denied.add(f"{run.client_id}@clients.auth.globus.org")
    run.remote_folder("/d/x")
    run.write("a.txt", "a")
    result = run("--retries", "1", "--retry-backoff", "0.05", "a.txt", "/d/x", run.collection_id)
    assert result.returncode == code, result.output
    assert "a.txt" in result.stderr and words in result.stderr
    assert run.collection.fs_path("/d/x").is_dir() and run.tree() == {}
