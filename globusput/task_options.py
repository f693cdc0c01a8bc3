"""The words of the commands that are Transfer tasks: ``delete`` and ``prune``, which let old
builds go, and ``wait``, which waits for a task an upload left running (``--no-wait``)."""

from __future__ import annotations

import argparse

from globusput.options import SHARED_OPTIONS, UPLOAD_OPTIONS, _add, _add_all

TASK_DEADLINE = next(o for o in UPLOAD_OPTIONS if o[1] == "task_deadline")
#: Options of the shared set that mean nothing to a deletion.
_UNUSED = ("concurrency", "retries", "retry_backoff", "timeout", "if_no_files_found", "manifest")


def build_removal_parser(command: str) -> argparse.ArgumentParser:
    if command == "delete":
        parser = argparse.ArgumentParser(
            prog="globusput delete",
            usage="globusput delete [OPTIONS] PATH [PATH ...] [COLLECTION_ID]",
            description="Delete files and folders (ending in '/': with everything below) on a "
            "Globus collection, as one Globus Transfer delete task; each path's folder is "
            "listed before and after. Never / or the home folder /~/.",
        )
        what = "files and folders on the collection"
    else:
        parser = argparse.ArgumentParser(
            prog="globusput prune",
            usage="globusput prune [OPTIONS] FOLDER --keep N [COLLECTION_ID]",
            description="Keep the newest N entries of a folder on a Globus collection (by the "
            "time Transfer lists; the later name between equal times) and delete the others, "
            "as one Globus Transfer delete task. Only the folder's own entries are touched; "
            "hidden ones and any that cannot be dated are left and said.",
        )
        what = "the folder on the collection"
        _add(parser, "--keep", "keep", "how many of the newest entries stay", type=int, metavar="N")
    parser.add_argument(
        "args",
        nargs="*",
        metavar="PATH... [COLLECTION_ID]",
        help=f"{what}; then the collection's UUID [env: GLOBUSPUT_PATHS (one per line), "
        "GLOBUS_COLLECTION_ID]",
    )
    _add(parser, "--dry-run", "dry_run", "list what would be deleted, delete nothing")
    _add_all(parser, [TASK_DEADLINE, *SHARED_OPTIONS], skip=_UNUSED)
    return parser


def build_wait_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="globusput wait",
        usage="globusput wait [OPTIONS] TASK_ID [COLLECTION_ID]",
        description="Wait for a Globus Transfer task (one an upload with --no-wait left "
        "running) and end as it ends: 0 when it succeeded. Interrupting stops the waiting, "
        "not the task; a lasting error that needs a person cancels it.",
    )
    parser.add_argument(
        "args",
        nargs="*",
        metavar="TASK_ID [COLLECTION_ID]",
        help="the task; then the collection it writes to [env: GLOBUSPUT_TASK_ID, "
        "GLOBUS_COLLECTION_ID]",
    )
    _add_all(parser, [TASK_DEADLINE, *SHARED_OPTIONS], skip=_UNUSED)
    return parser
