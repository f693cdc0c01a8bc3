"""delete and prune end to end: Transfer delete tasks in the stand-in really remove files;
what is kept, what is refused, and how every ending of a task is said."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from globusput.testing import Collection
from tests.e2e.conftest import Runner
from tests.github_files import read_outputs

MAPPED = "GCSv5_mapped_collection"


def nightly(collection: Collection, count: int = 5) -> None:
    """/nightly/ with ``count`` builds, the later ones newer, and a file beside it."""
    for i in range(1, count + 1):
        folder = collection.root / "nightly" / f"2026-11-{i:02d}"
        folder.mkdir(parents=True)
        (folder / "pkg.whl").write_bytes(b"wheel %d" % i)
        os.utime(folder, (time.time() - 10_000 + i * 100,) * 2)
    (collection.root / "README").write_bytes(b"stays")


def names(run: Runner) -> set[str]:
    return set(run.tree())


def test_prune_keeps_the_newest_and_touches_nothing_else(run: Runner, tmp_path: Path) -> None:
    nightly(run.collection)
    (run.collection.root / "nightly" / ".1.0.globusput-staging").mkdir()  # a running upload
    github = tmp_path / "github"
    github.mkdir()
    result = run(
        entrypoint=True,
        env={
            "GLOBUSPUT_COMMAND": "prune",
            "GLOBUSPUT_PATHS": "/nightly/",
            "GLOBUSPUT_KEEP": "2",
            "GLOBUS_COLLECTION_ID": run.collection_id,
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(github / "output"),
            "GITHUB_STEP_SUMMARY": str(github / "summary"),
        },
    )
    assert result.returncode == 0, result.output
    assert names(run) == {"/README", "/nightly/2026-11-04/pkg.whl", "/nightly/2026-11-05/pkg.whl"}
    assert (run.collection.root / "nightly" / ".1.0.globusput-staging").is_dir()
    assert "left alone: it is hidden" in result.output
    outputs = read_outputs(github / "output")
    assert outputs["count"] == "3" and outputs["task-id"] in result.output
    assert "/nightly/2026-11-01" in outputs["deleted"]
    # one listing to decide, one to check; one task: submission id, submission, its polls
    counts = run.standin.counts
    assert (counts["transfer.ls"], counts["transfer.submit"]) == (2, 1)
    assert counts["transfer.submission_id"] == 1 and 1 <= counts["transfer.task"] <= 3
    (task,) = run.standin.tasks.values()
    assert task.label == "globusput prune"  # no job variables here
    assert sorted(i["path"] for i in task.items) == [f"/nightly/2026-11-0{i}" for i in (1, 2, 3)]


def test_a_dry_run_deletes_nothing_and_submits_nothing(run: Runner) -> None:
    nightly(run.collection)
    before = run.tree()
    result = run("prune", "/nightly", "--keep", "4", "--dry-run", run.collection_id)
    assert result.returncode == 0, result.output
    assert "would delete /nightly/2026-11-01" in result.output
    assert run.tree() == before
    assert run.standin.count("transfer.submi") == 0


def test_a_lying_listing_cannot_lead_prune_out_of_its_folder(run: Runner) -> None:
    nightly(run.collection, 2)
    old = "2000-01-01 00:00:00+00:00"
    run.collection.planted["/nightly"] = [
        {"DATA_TYPE": "file", "name": n, "type": "dir", "size": 0, "last_modified": old}
        for n in ("..", "../README", "x\\..\\..")
    ]
    result = run("prune", "/nightly/", "--keep", "1", run.collection_id)
    assert result.returncode == 0, result.output
    assert names(run) == {"/README", "/nightly/2026-11-02/pkg.whl"}
    assert result.output.count("is left alone: its name") == 3
    (task,) = run.standin.tasks.values()
    assert [i["path"] for i in task.items] == ["/nightly/2026-11-01"]


@pytest.mark.parametrize("path", ["/", "/~/", "nightly/", "/nightly/../README"])
def test_delete_refuses_the_collection_root_and_odd_paths_before_any_request(
    run: Runner, path: str
) -> None:
    nightly(run.collection, 1)
    before = run.tree()
    result = run("delete", path, run.collection_id)
    assert result.returncode == 2, result.output
    assert run.standin.count() == 0 and run.tree() == before


def test_delete_removes_what_is_there_and_says_what_was_not(run: Runner) -> None:
    nightly(run.collection, 3)
    result = run("delete", "/nightly/2026-11-01/", "/README", "/nope/x", run.collection_id)
    assert result.returncode == 0, result.output
    assert names(run) == {"/nightly/2026-11-02/pkg.whl", "/nightly/2026-11-03/pkg.whl"}
    assert "/nope/x is not on the collection" in result.output
    assert "2 deleted by Transfer task" in result.output
    # one listing per folder (/nightly, /, /nope) before and after
    assert run.standin.counts["transfer.ls"] == 6 and run.standin.counts["transfer.submit"] == 1


def test_prune_on_a_mapped_collection_has_the_consent_it_needs(run: Runner) -> None:
    run.collection.entity_type = MAPPED
    nightly(run.collection, 3)
    result = run("prune", "/nightly/", "--keep", "1", run.collection_id)
    assert result.returncode == 0, result.output
    assert names(run) == {"/README", "/nightly/2026-11-03/pkg.whl"}
    assert "ConsentRequired" not in result.output


def test_a_task_denied_permission_is_cancelled_and_said(run: Runner) -> None:
    """Transfer retries a permission error until the deadline; a CI job should not wait."""
    nightly(run.collection, 2)
    run.standin.add_fault("task", route="task.file", body="PERMISSION_DENIED", times=1000)
    result = run("delete", "/nightly/2026-11-01", run.collection_id)
    assert result.returncode == 3, result.output
    assert "met a lasting error, PERMISSION_DENIED" in result.output
    assert "grant it access" in result.output
    (task,) = run.standin.tasks.values()
    assert task.fatal_error == {"code": "CANCELED", "description": "The task was canceled"}
    assert "/nightly/2026-11-01/pkg.whl" in names(run)


def test_a_quota_failure_ends_the_run_with_its_reason(run: Runner) -> None:
    nightly(run.collection, 2)
    run.standin.add_fault("task_fatal", route="task.file", body="QUOTA_EXCEEDED")
    result = run("prune", "/nightly/", "--keep", "1", run.collection_id)
    assert result.returncode == 1, result.output
    assert "quota is exhausted" in result.output


def test_a_paused_task_ends_at_its_deadline(run: Runner) -> None:
    nightly(run.collection, 2)
    run.standin.add_fault("pause", route="task.start", path="*")
    result = run("prune", "/nightly/", "--keep", "1", "--task-deadline", "2", run.collection_id)
    assert result.returncode == 1, result.output
    assert "is paused by a rule" in result.output
    assert "did not finish before its deadline" in result.output
    assert len(names(run)) == 3  # nothing was deleted


def test_a_task_cancelled_elsewhere_is_said(run: Runner) -> None:
    nightly(run.collection, 2)
    run.standin.add_fault("pause", route="task.start", path="*")
    process = run.start("prune", "/nightly/", "--keep", "1", run.collection_id)
    run.wait_for("transfer.task")
    (task,) = run.standin.tasks.values()
    task.cancelled.set()  # in the web app, by another program or an administrator
    out, err = process.communicate(timeout=60)
    run.outputs.append(out + err)
    assert process.returncode == 1, out + err
    assert "was cancelled outside this run" in err


def test_a_stopped_run_cancels_its_task(run: Runner) -> None:
    nightly(run.collection, 2)
    run.standin.add_fault("pause", route="task.start", path="*")
    process = run.start("delete", "/nightly/2026-11-01", run.collection_id)
    run.wait_for("transfer.task")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    run.outputs.append(out + err)
    assert process.returncode == 128 + signal.SIGTERM, out + err
    (task,) = run.standin.tasks.values()
    assert task.status == "FAILED" and task.fatal_error is not None
    assert task.fatal_error["code"] == "CANCELED"
    assert run.standin.counts["transfer.cancel"] == 1
    assert "/nightly/2026-11-01/pkg.whl" in names(run)
