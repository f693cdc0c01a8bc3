"""The words of ``delete`` and ``prune``, the commands that let old builds go (kept apart
from :mod:`globusput.options`, which holds the commands that move files)."""

from __future__ import annotations

import argparse

from globusput.options import SHARED_OPTIONS, _add, _add_all

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
    _add(
        parser,
        "--task-deadline",
        "task_deadline",
        "seconds the Transfer task may take before Transfer ends it (default: 21600)",
        type=float,
        metavar="SECONDS",
    )
    _add_all(parser, SHARED_OPTIONS, skip=_UNUSED)
    return parser
