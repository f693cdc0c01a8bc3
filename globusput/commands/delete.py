"""``globusput delete PATH... [COLLECTION_ID]``: remove files and folders as one Transfer
delete task. Each path's folder is listed before (nothing is asked to delete what is not
there) and after (that it is gone): one ``ls`` per folder each time, whatever the number of
paths; the task costs a submission id, the submission and its polls."""

from __future__ import annotations

from globusput.connection import check_outputs, connect
from globusput.errors import ServiceError
from globusput.removal import parent, present, rebased, removable, still_listed
from globusput.report import Reporter
from globusput.settings import Settings
from globusput.summary import finish_removal
from globusput.tasks import carry_out, deletion


def run(settings: Settings, reporter: Reporter) -> None:
    settings.require_removal_target()
    paths = [removable(text) for text in settings.paths]  # refused before any request
    check_outputs(settings, reporter)
    task_id = ""
    with connect(settings, reporter) as (collection, _info, _data):
        if any(path.startswith("/~/") for path in paths):
            home = collection.home()
            paths = [rebased(path, home) for path in paths]
        folders = sorted({parent(path) for path in paths})
        listings = collection.listings(folders)
        there, absent = present(paths, listings, set(collection.refused_of("ls", folders)))
        for path in absent:
            reporter.warn(f"{path} is not on the collection: nothing to delete there")
        if there and not settings.dry_run:
            data = deletion(collection.id, there, "delete", settings.task_deadline)
            task_id = carry_out(collection, data, reporter, settings.task_deadline)
            still = still_listed(there, collection.listings(folders))
            if still:
                raise ServiceError(
                    f"Transfer task {task_id} succeeded, yet {len(still)} of the paths are still "
                    f"listed (such as {still[0]}): see the task in the Globus web app's Activity"
                )
    finish_removal(reporter, there, task_id, settings.dry_run, str(settings.collection_id))
