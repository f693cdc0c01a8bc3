"""What a Transfer task's document means, read without trusting it."""

from __future__ import annotations

import pytest

from globusput.tasks import Progress, ending, label

TASK = "9b1c5e9e-0000-4000-8000-000000000001"


def test_success_is_only_succeeded() -> None:
    assert ending({"status": "SUCCEEDED"}, TASK) is None
    unknown = ending({"status": "DONE"}, TASK)
    assert unknown is not None and "does not know" in str(unknown)


@pytest.mark.parametrize(
    ("code", "said", "exit_code"),
    [
        ("CANCELED", "cancelled outside this run", 1),
        ("EXPIRED", "deadline", 1),
        ("DEADLINE_EXCEEDED", "deadline", 1),
        ("PERMISSION_DENIED", "grant it access", 3),
        ("QUOTA_EXCEEDED", "quota", 1),
        ("SOMETHING_NEW", "see its events", 1),
    ],
)
def test_every_ending_is_said(code: str, said: str, exit_code: int) -> None:
    failure = ending({"status": "FAILED", "fatal_error": {"code": code}}, TASK)
    assert failure is not None
    assert said in str(failure) and TASK in str(failure)
    assert failure.exit_code == exit_code


def test_a_hostile_description_is_shown_inert() -> None:
    failure = ending({"status": "FAILED", "fatal_error": {"description": "x\n::error::y"}}, TASK)
    assert "\n" not in str(failure)


def test_counters_that_are_no_counts_are_nothing() -> None:
    progress = Progress.of({"files": "9", "files_transferred": -1, "bytes_transferred": 5})
    assert progress == Progress(0, 0, 0, 5)


def test_the_label_names_the_job_in_characters_transfer_takes() -> None:
    environ = {"CI_PROJECT_PATH": "g/p", "CI_JOB_NAME": "nightly;rm -rf", "CI_JOB_ID": "7"}
    assert label("prune", environ) == "globusput prune g/p nightly_rm -rf 7"
    assert label("delete", {}) == "globusput delete"
    assert len(label("delete", {"JOB_NAME": "x" * 300, "BUILD_NUMBER": "1"})) == 128
