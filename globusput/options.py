"""The command line's words: every command's options, each naming its environment variable.

Only argparse and the table of names are imported here, so ``--help`` answers at once; the
values parsed are handed to the settings model, which validates them with the environment.
"""

from __future__ import annotations

import argparse
from typing import Any

from globusput import __version__
from globusput.envnames import NAMES

ACCOUNT_COMMANDS = ("login", "logout", "whoami")
#: Commands that move or check files; ``upload`` needs no name (``globusput PATH...``).
FILE_COMMANDS = ("upload", "get", "verify", "delete", "prune", "wait")
#: Commands that remove files, each through a Transfer delete task.
REMOVAL_COMMANDS = ("delete", "prune")

_EPILOG = """\
Without client credentials, globusput logs you in as yourself (globusput login|logout|whoami).
With no PATH, DESTINATION or COLLECTION_ID, everything comes from the environment (CI use).
The other way round: globusput get REMOTE... LOCAL_FOLDER COLLECTION_ID, and
globusput verify MANIFEST [COLLECTION_ID] (see globusput get --help, globusput verify --help).
Old builds: globusput delete PATH... [COLLECTION_ID], globusput prune FOLDER --keep N.
Large runs go as a Globus Transfer task with --source-collection and --source-path.
Patterns: '*', '?', '[...]', '**' (any depth) and '{a,b}'; '!PATTERN' excludes. Exit codes:
0 done, 1 some file failed, 2 invalid input (nothing sent), 3 authentication or permission.
"""


def _env_help(text: str, field: str) -> str:
    return f"{text} [env: {NAMES[field][0]}]"


def _add(parser: argparse.ArgumentParser, flags: str, field: str, text: str, **kw: Any) -> None:
    """One option whose help names its environment variable: ``flags`` space-separated;
    a flag without ``metavar``, ``type`` or ``choices`` stores ``const`` (default True)."""
    if not {"metavar", "type", "choices"} & kw.keys():
        kw = {"action": "store_const", "const": True, **kw}
    parser.add_argument(*flags.split(), help=_env_help(text, field), **kw)


#: The upload's own options: (flags, field, help, argparse keywords).
UPLOAD_OPTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "--base-dir",
        "base_dir",
        "place files relative to DIR instead of each pattern's fixed leading folders",
        {"metavar": "DIR"},
    ),
    (
        "--include-hidden",
        "include_hidden",
        "let wildcards and folders include dotfiles (named ones always are)",
        {},
    ),
    (
        "--follow-external-symlinks",
        "follow_external_symlinks",
        "upload symlinks pointing outside the working or base folder",
        {},
    ),
    (
        "--overwrite",
        "overwrite",
        "always replace; never replace; or replace only when size "
        "differs or the remote copy is older than the local file (default: always)",
        {"choices": ["always", "never", "changed"]},
    ),
    (
        "--no-verify-size",
        "verify_size",
        "skip checking the stored size after each upload",
        {"dest": "verify_size", "const": False},
    ),
    (
        "--atomic",
        "atomic",
        "upload every file to a temporary name and rename it into place "
        "(default: only files from --atomic-threshold on)",
        {"dest": "atomic"},
    ),
    (
        "--no-atomic",
        "atomic",
        "write every file straight to its final name",
        {"dest": "atomic", "const": False},
    ),
    (
        "--atomic-threshold",
        "atomic_threshold",
        "files this big or bigger go through a "
        "temporary name and one Transfer rename, e.g. 64MiB, 1GB (default: 64MiB)",
        {"metavar": "SIZE"},
    ),
    (
        "--whole-folder",
        "whole_folder",
        "publish a new DESTINATION folder all at once: fill a "
        "hidden staging folder, then rename it into place",
        {},
    ),
    ("--dry-run", "dry_run", "resolve and print the plan, upload nothing", {}),
    (
        "--no-mkdir",
        "mkdir",
        "do not create missing remote folders (GLOBUSPUT_MKDIR=false)",
        {"dest": "mkdir", "const": False},
    ),
    (
        "--engine",
        "engine",
        "https: PUT each file from here; task: one Globus Transfer task from the source "
        "collection; auto: a task for runs over 1,000 files or 10 GiB (default: auto)",
        {"choices": ["auto", "https", "task"]},
    ),
    (
        "--source-collection",
        "source_collection_id",
        "the collection that sees this runner's files",
        {"metavar": "UUID", "dest": "source_collection_id"},
    ),
    ("--source-path", "source_path", "its path of the base folder", {"metavar": "PATH"}),
    ("--no-wait", "no_wait", "submit the task and end; wait later: globusput wait", {}),
    (
        "--task-deadline",
        "task_deadline",
        "seconds a Transfer task may take before Transfer ends it (default: 21600)",
        {"type": float, "metavar": "SECONDS"},
    ),
]
#: The options of every command that reaches a collection.
SHARED_OPTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "-c --client-config",
        "client_config",
        'JSON file {"client_id": ..., "client_secret": '
        "...}; otherwise GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET",
        {"metavar": "FILE", "dest": "client_config"},
    ),
    (
        "--concurrency",
        "concurrency",
        "files moved at once, 1-32 (default: 4)",
        {"type": int, "metavar": "N"},
    ),
    (
        "--retries",
        "retries",
        "attempts after the first for transient failures (default: 5)",
        {"type": int, "metavar": "N"},
    ),
    (
        "--retry-backoff",
        "retry_backoff",
        "base of the exponential backoff between retries (default: 0.5)",
        {"type": float, "metavar": "SECONDS"},
    ),
    (
        "--timeout",
        "timeout",
        "longest wait for one read or write; a whole request may take this and the "
        "connect timeout, plus its body at 64 KiB/s (default: 60)",
        {"type": float, "metavar": "SECONDS"},
    ),
    (
        "--if-no-files-found",
        "if_no_files_found",
        "when a pattern (or remote path) matches nothing (default: error)",
        {"choices": ["error", "warn", "ignore"]},
    ),
    ("--manifest", "manifest", "write a JSON manifest of the run", {"metavar": "FILE"}),
    ("-n --no-browser", "no_browser", "for interactive login, print a URL and read the code", {}),
    ("-v --verbose", "verbose", "show each request (never tokens)", {}),
    ("-q --quiet", "quiet", "only warnings and errors", {}),
]


def _add_all(
    parser: argparse.ArgumentParser,
    table: list[tuple[str, str, str, dict[str, Any]]],
    skip: tuple[str, ...] = (),
) -> None:
    for flags, field, text, kw in table:
        if field not in skip:
            _add(parser, flags, field, text, **kw)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="globusput",
        usage="globusput [OPTIONS] PATH [PATH ...] DESTINATION COLLECTION_ID",
        description="Upload files to a Globus collection over HTTPS.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "args",
        nargs="*",
        metavar="PATH... DESTINATION COLLECTION_ID",
        help="files, folders or glob patterns; then the destination folder (ending in '/') or "
        "file name on the collection, or its https:// URL; then the collection's UUID "
        "[env: GLOBUSPUT_PATHS (one per line), GLOBUSPUT_DESTINATION, GLOBUS_COLLECTION_ID]",
    )
    _add_all(parser, UPLOAD_OPTIONS)
    parser.add_argument("--version", action="version", version=f"globusput {__version__}")
    _add_all(parser, SHARED_OPTIONS)
    return parser


def build_get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="globusput get",
        usage="globusput get [OPTIONS] REMOTE [REMOTE ...] LOCAL_FOLDER COLLECTION_ID\n"
        "       globusput get [OPTIONS] --from-manifest MANIFEST LOCAL_FOLDER [COLLECTION_ID]",
        description="Download files from a Globus collection over HTTPS. Each file lands "
        "below LOCAL_FOLDER at its whole path on the collection; it appears there only once "
        "complete (and, with a manifest, once its SHA-256 matched).",
    )
    parser.add_argument(
        "args",
        nargs="*",
        metavar="REMOTE... LOCAL_FOLDER COLLECTION_ID",
        help="files and folders (ending in '/': everything below) on the collection; then "
        "the local folder; then the collection's UUID [env: GLOBUSPUT_PATHS (one per line), "
        "GLOBUSPUT_DESTINATION, GLOBUS_COLLECTION_ID]",
    )
    parser.add_argument(
        "--from-manifest",
        metavar="MANIFEST",
        help=_env_help(
            "fetch the files a globusput manifest lists, checking each one's SHA-256",
            "from_manifest",
        ),
    )
    _add(
        parser,
        "--overwrite",
        "overwrite",
        "a local file that is the same (size and listed time, or the manifest's SHA-256) is "
        "always kept; one that differs is replaced and said (always, the default), kept "
        "(never), or replaced only when older than the collection's copy (changed)",
        choices=["always", "never", "changed"],
    )
    _add_all(parser, SHARED_OPTIONS)
    return parser


def build_verify_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="globusput verify",
        usage="globusput verify [OPTIONS] MANIFEST [COLLECTION_ID]",
        description="Check that a collection holds every file a globusput manifest lists, at "
        "its recorded size, and nothing else in those folders or below: one Transfer listing per "
        "folder. Exit code 1 when anything is missing, different or extra.",
    )
    parser.add_argument(
        "args",
        nargs="*",
        metavar="MANIFEST [COLLECTION_ID]",
        help="the manifest of an upload (or a get); the collection's UUID if not the "
        "manifest's [env: GLOBUSPUT_FROM_MANIFEST, GLOBUS_COLLECTION_ID]",
    )
    parser.add_argument(
        "--hash",
        dest="verify_hash",
        action="store_const",
        const=True,
        help=_env_help("also download every file and compare its SHA-256", "verify_hash"),
    )
    _add_all(parser, SHARED_OPTIONS, skip=("manifest",))
    return parser
