"""Uploads handed to a Globus Transfer task: a collection sees the runner's workspace (the
stand-in's second collection is rooted there), the task really copies, and globusput checks,
reports and records as for HTTPS uploads."""

from __future__ import annotations

import hashlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from globusput.testing import Collection
from tests.e2e.conftest import Runner
from tests.github_files import read_outputs

MAPPED = "GCSv5_mapped_collection"


@pytest.fixture
def source(run: Runner) -> Iterator[Collection]:
    """The collection that sees the runner's files: its root is the workspace."""
    found = run.standin.add_collection(grant=[run.client_id], root=run.workspace)
    yield found
    found.server.shutdown()  # type: ignore[union-attr]
    found.server.server_close()  # type: ignore[union-attr]
    del run.standin.collections[found.id]


def by_task(run: Runner, source: Collection, *args: str) -> list[str]:
    return [*args, "--engine", "task", "--source-collection", source.id, "--source-path", "/"]


def test_an_upload_by_task_lands_checked_and_reported(
    run: Runner, source: Collection, tmp_path: Path
) -> None:
    files = {"dist/a.whl": b"wheel", "dist/sub/b.txt": b"notes" * 100}
    for name, data in files.items():
        os.utime(run.write(name, data), (1_700_000_000, 1_700_000_000))
    github = tmp_path / "github"
    github.mkdir()
    result = run(
        *by_task(run, source, "dist/**", "/rel/", run.collection_id, "--manifest", "m.json"),
        env={
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(github / "output"),
            "GITHUB_STEP_SUMMARY": str(github / "summary"),
            "GITHUB_REPOSITORY": "org/repo",
            "GITHUB_WORKFLOW": "nightly",
            "GITHUB_RUN_ID": "42",
        },
    )
    assert result.returncode == 0, result.output
    assert run.tree() == {"/rel/a.whl": b"wheel", "/rel/sub/b.txt": b"notes" * 100}
    assert run.collection.fs_path("/rel/a.whl").stat().st_mtime == 1_700_000_000  # preserved
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert {e["status"] for e in manifest["files"]} == {"uploaded"}
    assert manifest["files"][0]["sha256"] == hashlib.sha256(b"wheel").hexdigest()
    outputs = read_outputs(github / "output")
    assert outputs["task-id"] == manifest["task_id"] and outputs["count"] == "2"
    (task,) = run.standin.tasks.values()
    assert task.label == "globusput upload org/repo nightly 42"
    assert task.options["verify_checksum"] and task.options["preserve_timestamp"]
    assert task.options["sync_level"] is None  # --overwrite always: Transfer copies all
    counts = run.standin.counts
    assert counts["data.PUT"] == 0 and counts["transfer.mkdir"] == 0
    assert (counts["transfer.submission_id"], counts["transfer.submit"]) == (1, 1)
    assert counts["transfer.successful_transfers"] == 1
    assert counts["transfer.ls"] == 2  # /rel and /rel/sub, to check what arrived


def test_a_source_path_that_shows_other_files_publishes_nothing_as_uploaded(
    run: Runner, source: Collection
) -> None:
    run.write("dist/a.whl", b"this runner's wheel")
    run.write("old/dist/a.whl", b"last week's")  # what /old/ on the source shows
    result = run(*by_task(run, source, "dist/a.whl", "/rel/", run.collection_id)[:-1], "/old/")
    assert result.returncode == 1, result.output
    assert "check GLOBUSPUT_SOURCE_PATH" in result.output
    assert "0 uploaded" in result.output


def test_overwrite_never_becomes_a_sync_level_that_keeps_what_is_there(
    run: Runner, source: Collection
) -> None:
    run.write("d/a.txt", b"new")
    run.write("d/b.txt", b"b")
    run.remote_folder("/rel")
    run.collection.fs_path("/rel/a.txt").write_bytes(b"old")
    result = run(*by_task(run, source, "d/*", "/rel/", run.collection_id, "--overwrite", "never"))
    assert result.returncode == 0, result.output
    assert run.tree() == {"/rel/a.txt": b"old", "/rel/b.txt": b"b"}
    assert "1 uploaded" in result.output and "1 skipped" in result.output


def test_no_wait_leaves_the_task_to_a_later_wait_and_verify(
    run: Runner, source: Collection
) -> None:
    run.write("out/r.json", b"{}")
    env = {
        "GLOBUSPUT_PATHS": "out/*",
        "GLOBUSPUT_DESTINATION": "/reports/",
        "GLOBUS_COLLECTION_ID": run.collection_id,
        "GLOBUSPUT_ENGINE": "task",
        "GLOBUSPUT_SOURCE_COLLECTION_ID": source.id,
        "GLOBUSPUT_SOURCE_PATH": "/",
        "GLOBUSPUT_NO_WAIT": "true",
        "GLOBUSPUT_MANIFEST": "m.json",
    }
    result = run(entrypoint=True, env=env)
    assert result.returncode == 0, result.output
    assert "1 submitted" in result.output and run.standin.counts["transfer.task"] == 0
    task_id = json.loads((run.workspace / "m.json").read_text())["task_id"]
    waited = run(
        entrypoint=True,
        env={
            "GLOBUSPUT_COMMAND": "wait",
            "GLOBUSPUT_TASK_ID": task_id,
            "GLOBUS_COLLECTION_ID": run.collection_id,
        },
    )
    assert waited.returncode == 0, waited.output
    checked = run("verify", "--hash", "m.json")
    assert checked.returncode == 0, checked.output
    assert run.tree() == {"/reports/r.json": b"{}"}


def test_auto_hands_large_runs_to_transfer_and_keeps_small_ones_on_https(
    run: Runner, source: Collection
) -> None:
    for n in range(1001):
        run.write(f"many/{n:04}.txt", str(n))
    auto = [run.collection_id, "--source-collection", source.id, "--source-path", "/"]
    result = run("many/*", "/many/", *auto)
    assert result.returncode == 0, result.output
    counts = dict(run.standin.counts)
    assert len(run.tree()) == 1001 and counts.get("data.PUT", 0) == 0
    # a 1,001-file task: one submission, pages of successes, one listing to check them all
    assert counts["transfer.submit"] == 1 and counts["transfer.successful_transfers"] == 2
    assert counts["transfer.ls"] == 1 and counts["transfer.task"] <= 3
    run.standin.counts.clear()
    small = run("many/000*.txt", "/few/", *auto)
    assert small.returncode == 0, small.output
    assert run.standin.counts["data.PUT"] >= 10 and run.standin.counts["transfer.submit"] == 0
    assert len([p for p in run.tree() if p.startswith("/few/")]) == 10


def test_tasks_between_mapped_collections_ask_consent_up_front(
    run: Runner, source: Collection
) -> None:
    run.collection.entity_type = source.entity_type = MAPPED
    run.write("d/a.txt", b"a")
    result = run(*by_task(run, source, "d/a.txt", "/m/", run.collection_id))
    assert result.returncode == 0, result.output
    assert run.tree() == {"/m/a.txt": b"a"}
    assert run.standin.counts["transfer.submit"] == 1  # never refused for consent first
    asked = [e["scope"] for e in run.standin.log if e["route"] == "auth.token"]
    assert source.id in asked[-1] and run.collection_id in asked[-1]


def test_a_task_refused_access_fails_its_files_with_exit_3(run: Runner, source: Collection) -> None:
    run.write("d/a.txt", b"a")
    run.collection.acl[f"{run.client_id}@clients.auth.globus.org"] = ["/public"]
    run.remote_folder("/private")
    result = run(*by_task(run, source, "d/a.txt", "/private/", run.collection_id))
    assert result.returncode == 3, result.output
    assert "PERMISSION_DENIED" in result.output and run.tree() == {}


def test_an_interrupted_upload_cancels_its_task_and_records_why(
    run: Runner, source: Collection
) -> None:
    run.write("d/a.txt", b"a")
    run.standin.add_fault("pause", route="task.start", path="*")
    process = run.start(
        *by_task(run, source, "d/a.txt", "/p/", run.collection_id, "--manifest", "m.json")
    )
    run.wait_for("transfer.task")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    run.outputs.append(out + err)
    assert process.returncode == 130, out + err
    (task,) = run.standin.tasks.values()
    assert task.fatal_error is not None and task.fatal_error["code"] == "CANCELED"
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert manifest["files"][0]["status"] == "failed"
    assert "interrupted" in manifest["files"][0]["error"]
