"""``globusput wait TASK_ID [COLLECTION_ID]``: wait for a Transfer task an upload left running
(``--no-wait``) and end as it ends, so a later step can wait, then ``verify`` the manifest.
Interrupting stops the waiting, not the task; a lasting error that needs a person cancels it,
as it would have in the upload."""

from __future__ import annotations

from globusput.connection import connect
from globusput.errors import Interrupted, SettingsError
from globusput.inert import markdown_text, shown
from globusput.report import Reporter
from globusput.settings import Settings
from globusput.tasks import Progress, ending, watch


def run(settings: Settings, reporter: Reporter) -> None:
    if settings.task_id is None or settings.collection_id is None:
        raise SettingsError(
            [
                f"{name}: is required to wait"
                for name, value in (
                    ("GLOBUSPUT_TASK_ID (TASK_ID)", settings.task_id),
                    ("GLOBUS_COLLECTION_ID (COLLECTION_ID)", settings.collection_id),
                )
                if value is None
            ]
        )
    task_id = str(settings.task_id)
    with connect(settings, reporter) as (collection, _info, _data):
        document, signum = watch(collection, task_id, reporter, settings.task_deadline, False)
    if signum:
        raise Interrupted(signum)
    failure = ending(document, task_id)
    progress = Progress.of(document)
    status = str(document.get("status") or "")
    reporter.finish_ci(
        {"task-id": task_id, "status": shown(status)},
        f"### globusput wait: Transfer task `{task_id}` {markdown_text(shown(status))}\n\n"
        f"{progress.done} files copied, {progress.skipped} kept\n",
    )
    if failure is not None:
        raise failure
    reporter.tally(f"Transfer task {task_id} succeeded: {progress.done} files copied", False)
