"""``globusput prune FOLDER --keep N [COLLECTION_ID]``: keep a folder's newest N entries and
delete the rest as one Transfer delete task. The folder is listed once before (the decision,
:func:`globusput.removal.prune`) and once after (the check): two ``ls`` in all."""

from __future__ import annotations

from globusput.connection import check_outputs, connect
from globusput.errors import DestinationError, ServiceError
from globusput.inert import shown
from globusput.paths import child
from globusput.refusals import unlisted
from globusput.removal import check_pruned, prune, rebased, removable
from globusput.report import Reporter
from globusput.settings import Settings
from globusput.summary import finish_removal
from globusput.tasks import carry_out, deletion


def run(settings: Settings, reporter: Reporter) -> None:
    settings.require_removal_target()
    assert settings.keep is not None
    folder = removable(settings.paths[0])  # refused before any request
    check_outputs(settings, reporter)
    task_id = ""
    with connect(settings, reporter) as (collection, _info, _data):
        if folder.startswith("/~/"):
            folder = rebased(folder, collection.home())
        listing = collection.listing(folder)
        if listing is None:
            if not collection.allowed("ls", folder):
                raise unlisted(collection, "prune decides from the folder's listing", folder)
            raise DestinationError(f"{folder}/ is not on the collection: nothing to prune")
        pruning = prune(folder, listing, settings.keep)
        for name, why in sorted(pruning.left.items()):
            reporter.warn(f"{shown(child(folder, name))} is left alone: {why}")
        kept = ", ".join(shown(name) for name in pruning.kept) or "nothing"
        reporter.info(f"keeping the newest {settings.keep} of {folder}/: {kept}")
        if pruning.removed and not settings.dry_run:
            data = deletion(collection.id, pruning.paths(), "prune", settings.task_deadline)
            task_id = carry_out(collection, data, reporter, settings.task_deadline)
            problems = check_pruned(pruning, collection.listing(folder))
            if problems:
                raise ServiceError(
                    f"after Transfer task {task_id}, {folder}/ is not as planned: "
                    f"{'; '.join(problems[:3])}: see the task in the Globus web app's Activity"
                )
    finish_removal(
        reporter, pruning.paths(), task_id, settings.dry_run, str(settings.collection_id)
    )
