"""Globus Transfer tasks: submitted once, waited for, cancelled when the run is stopped, and
every ending said in words a user can act on.

A task outlives the request that made it, so a submission carries a submission id (asked for
first: one request) and a repeated submission is answered with the same task. Waiting costs one
``GET /task`` per poll; the polls start at 1 s and grow by half up to 20 s, so a task of a
minute takes about 10 polls and its end is noticed within half its length (at most 20 s).
Whatever the document says is another party's: the task id must be a UUID, counters are
numbers or nothing, and an unknown status is a failure, not success.
"""

from __future__ import annotations

import datetime
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import globus_sdk

from globusput.collection import Collection
from globusput.errors import EXIT_AUTH, EXIT_FAILED, GlobusputError, Interrupted, ServiceError
from globusput.inert import shown
from globusput.refusals import service_error
from globusput.report import Reporter, human_size
from globusput.session import stopped_by_signals

POLL_FIRST, POLL_GROWTH, POLL_MOST = 1.0, 1.5, 20.0
#: How long past its deadline a task may still be going before globusput stops waiting.
GRACE = 300.0
#: CI variables that name the job, for the task's label (GitHub, GitLab, Jenkins).
JOB_NAMES = (
    ("GITHUB_REPOSITORY", "GITHUB_WORKFLOW", "GITHUB_RUN_ID"),
    ("CI_PROJECT_PATH", "CI_JOB_NAME", "CI_JOB_ID"),
    ("JOB_NAME", "BUILD_NUMBER"),
)

#: A task's lasting troubles that waiting does not cure (Transfer retries them until the
#: deadline): the task is cancelled and the user told what to fix.
NEEDS_A_PERSON = {
    "PERMISSION_DENIED": "{who} may not write or delete there: grant it access on the collection",
    "QUOTA_EXCEEDED": "the collection's storage quota is exhausted: free space or ask its "
    "administrator for more",
    "FILE_NOT_FOUND": "a path the task names is not there: check the paths given (for an "
    "upload by task, GLOBUSPUT_SOURCE_PATH)",
    "NOT_A_FILE": "a path the task names as a file is a folder",
    "NO_SPACE_LEFT": "the collection's storage is full: ask its administrator",
}
#: What ``fatal_error.code`` means, where waiting is over.
ENDINGS = {
    "CANCELED": "was cancelled outside this run (in the Globus web app, by another program or "
    "an administrator)",
    "EXPIRED": "did not finish before its deadline (GLOBUSPUT_TASK_DEADLINE, "
    "--task-deadline); the collection may hold part of it",
}


class TaskFailed(GlobusputError):
    """A Transfer task ended without doing all it was given (exit 3 when access was the
    reason, else 1); the message names the task, so its event log can be looked up."""

    def __init__(self, message: str, auth: bool = False) -> None:
        super().__init__(message)
        self.exit_code = EXIT_AUTH if auth else EXIT_FAILED


@dataclass(frozen=True)
class Progress:
    """What a task document says of its progress, each counter checked to be a number."""

    files: int
    done: int
    skipped: int
    bytes: int

    @classmethod
    def of(cls, document: dict[str, Any]) -> Progress:
        def number(key: str) -> int:
            value = document.get(key)
            return value if isinstance(value, int) and value >= 0 else 0

        return cls(
            number("files"),
            number("files_transferred"),
            number("files_skipped"),
            number("bytes_transferred"),
        )


def label(command: str, environ: Mapping[str, str]) -> str:
    """``globusput delete org/repo build 123``: who made the task, in the Globus web app's
    Activity; only the characters Transfer takes in a label, at most 128 of them."""
    job = next((names for names in JOB_NAMES if environ.get(names[-1])), ())
    text = " ".join(["globusput", command, *(environ.get(name, "") for name in job)])
    return re.sub(r"[^A-Za-z0-9 _.,()/-]", "_", text)[:128].strip()


def deadline(seconds: float) -> str:
    return (
        datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    ).isoformat()


def deletion(
    collection_id: str, paths: list[str], command: str, seconds: float
) -> globus_sdk.DeleteData:
    """One delete task for ``paths`` (folders with everything below; a path gone meanwhile
    is no failure), labelled with the CI job, ending at the deadline."""
    data = globus_sdk.DeleteData(
        collection_id,
        label=label(command, os.environ),
        recursive=True,
        ignore_missing=True,
        deadline=deadline(seconds),
    )
    for path in paths:
        data.add_item(path)
    return data


def carry_out(
    collection: Collection,
    data: globus_sdk.TransferData | globus_sdk.DeleteData,
    reporter: Reporter,
    seconds: float,
) -> str:
    """Submit a task and wait for it to succeed (delete, prune); its id. Raises what any
    other ending means; an interruption cancels it."""
    task_id = submit(collection, data)
    document, signum = watch(collection, task_id, reporter, seconds, cancel=True)
    if signum:
        raise Interrupted(signum)
    failure = ending(document, task_id)
    if failure is not None:
        raise failure
    return task_id


def watch(
    collection: Collection, task_id: str, reporter: Reporter, seconds: float, cancel: bool
) -> tuple[dict[str, Any], int]:
    """Wait for a task under the signal handlers, saying how far it is; its last document
    and the signal that stopped the waiting (0: none). ``cancel``: a signal cancels the
    task too (the run that submitted it); otherwise the task goes on (``globusput wait``)."""
    then = "interrupting cancels it" if cancel else "interrupting leaves it running"
    reporter.info(f"waiting for Transfer task {task_id} ({then})")
    stop, last = threading.Event(), [Progress(0, 0, 0, 0)]

    def progress(now: Progress) -> None:
        if now != last[0]:
            last[0] = now
            done = f"{now.done + now.skipped} of {now.files} files"
            reporter.info(f"task {task_id}: {done}, {human_size(now.bytes)} moved")

    until = time.monotonic() + seconds + GRACE
    with stopped_by_signals(stop) as received:
        document = wait(collection, task_id, stop, reporter.warn, progress, until, cancel)
    return document, received[0] if received else 0


def submit(collection: Collection, data: globus_sdk.TransferData | globus_sdk.DeleteData) -> str:
    """Submit a task; its id. The submission id is fetched first and kept in ``data``, so the
    SDK's retry of a lost answer resubmits the same task (Transfer answers ``Duplicate``)."""
    kind = "transfer" if data["DATA_TYPE"] == "transfer" else "delete"

    def call(client: globus_sdk.TransferClient) -> Any:
        if kind == "transfer":
            return client.submit_transfer(data)
        return client.submit_delete(data)

    answer = _guarded(collection, call, f"submit a {kind} task")
    try:
        return str(uuid.UUID(str(answer.get("task_id"))))
    except ValueError:
        raise ServiceError(
            f"Globus Transfer accepted the {kind} task but named no task id (got "
            f"{shown(str(answer.get('task_id')))}): look for it in the Globus web app's Activity"
        ) from None


def wait(
    collection: Collection,
    task_id: str,
    stop: threading.Event,
    warn: Callable[[str], None],
    progress: Callable[[Progress], None],
    until: float,
    cancel_on_stop: bool = True,
) -> dict[str, Any]:
    """Poll until the task ends; its last document. A lasting trouble cancels it and raises;
    ``stop`` (a signal) cancels it and returns the document of the cancelled task. Past
    ``until`` (monotonic: the task's deadline and a grace) a task still going is cancelled:
    Transfer should have ended it, and the job must not wait for ever."""
    interval, said = POLL_FIRST, set()
    while True:
        if time.monotonic() > until:
            cancel(collection, task_id)
            raise unfinished(task_id, "EXPIRED")
        document = task_document(collection, task_id)
        status = document.get("status")
        if status in ("SUCCEEDED", "FAILED"):
            return document
        progress(Progress.of(document))
        nice = str(document.get("nice_status") or "")
        if nice in NEEDS_A_PERSON:
            cancel(collection, task_id)
            raise trouble(task_id, nice, collection.identity)
        if document.get("is_paused") and "paused" not in said:
            said.add("paused")
            warn(
                f"Transfer task {task_id} is paused by a rule of the collection's "
                "administrator; waiting for it to be resumed (up to its deadline)"
            )
        elif nice not in ("", "OK", "Queued") and nice not in said:
            said.add(nice)
            warn(f"Transfer task {task_id} reports {shown(nice)}; Transfer retries it")
        if stop.wait(interval):
            if not cancel_on_stop:
                return document
            cancel(collection, task_id)
            return task_document(collection, task_id)
        interval = min(interval * POLL_GROWTH, POLL_MOST)


def ending(document: dict[str, Any], task_id: str) -> TaskFailed | None:
    """None when the task succeeded; otherwise what went wrong, in words."""
    status = document.get("status")
    if status == "SUCCEEDED":
        return None
    fatal = document.get("fatal_error")
    code = str(fatal.get("code") or "") if isinstance(fatal, dict) else ""
    if code in NEEDS_A_PERSON:
        return trouble(task_id, code, "the identity", cancelled=False)
    if code in ENDINGS or "DEADLINE" in code:
        return unfinished(task_id, code if code in ENDINGS else "EXPIRED")
    said = fatal.get("description") if isinstance(fatal, dict) else None
    if status == "FAILED":
        return TaskFailed(
            f"Transfer task {task_id} failed: {shown(str(said or code or 'no reason given'))}; "
            "see its events in the Globus web app's Activity"
        )
    return TaskFailed(
        f"Transfer task {task_id} ended in a state globusput does not know "
        f"({shown(str(status))}): see it in the Globus web app's Activity"
    )


def unfinished(task_id: str, code: str) -> TaskFailed:
    return TaskFailed(f"Transfer task {task_id} {ENDINGS[code]}: it stopped before it was done")


def trouble(task_id: str, code: str, who: str, cancelled: bool = True) -> TaskFailed:
    """A lasting error: globusput cancelled the task for it, or Transfer ended it so."""
    text, auth = NEEDS_A_PERSON[code].format(who=who), code == "PERMISSION_DENIED"
    if cancelled:
        return TaskFailed(
            f"Transfer task {task_id} met a lasting error, {code}, and was cancelled: {text}",
            auth=auth,
        )
    return TaskFailed(f"Transfer task {task_id} failed on a lasting error, {code}: {text}", auth)


def task_document(collection: Collection, task_id: str) -> dict[str, Any]:
    answer = _guarded(collection, lambda c: c.get_task(task_id), f"read task {task_id}")
    return dict(answer.data) if isinstance(answer.data, dict) else {}


def cancel(collection: Collection, task_id: str) -> None:
    """Ask Transfer to cancel; a task that ended meanwhile answers ``TaskComplete``."""
    _guarded(collection, lambda c: c.cancel_task(task_id), f"cancel task {task_id}")


def successes(collection: Collection, task_id: str) -> list[tuple[str, str]]:
    """Every (source, destination) path the task moved: one request per page."""
    pages = _guarded(
        collection,
        lambda c: list(c.paginated.task_successful_transfers(task_id).items()),
        f"list what task {task_id} moved",
    )
    return [
        (str(item.get("source_path")), str(item.get("destination_path")))
        for item in pages
        if isinstance(item, dict)
    ]


def _guarded(
    collection: Collection, call: Callable[[globus_sdk.TransferClient], Any], what: str
) -> Any:
    try:
        return collection.guarded(call)
    except globus_sdk.TransferAPIError as exc:
        raise service_error(exc, what, collection.id, collection.identity) from None
