"""Command line: ``globusput [OPTIONS] PATH... DESTINATION COLLECTION_ID``.

The only place that turns exceptions into messages and exit codes. Heavy modules are imported
after argument parsing, so ``--help`` and ``--version`` answer instantly.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from globusput import __version__
from globusput.errors import EXIT_FAILED, EXIT_OK, EXIT_SIGINT, ConfigError, GlobusputError

if TYPE_CHECKING:
    from globusput.report import Reporter
    from globusput.settings import Settings

ACCOUNT_COMMANDS = ("login", "logout", "whoami")
#: Commands that move or check files; ``upload`` needs no name (``globusput PATH...``).
FILE_COMMANDS = ("upload", "get", "verify")

_EPILOG = """\
Without client credentials, globusput logs you in as yourself (globusput login|logout|whoami).
With no PATH, DESTINATION or COLLECTION_ID, everything comes from the environment (CI use).
The other way round: globusput get REMOTE... LOCAL_FOLDER COLLECTION_ID, and
globusput verify MANIFEST [COLLECTION_ID] (see globusput get --help, globusput verify --help).
Patterns: '*', '?', '[...]', '**' (any depth) and '{a,b}'; '!PATTERN' excludes. Exit codes:
0 done, 1 some file failed, 2 invalid input (nothing sent), 3 authentication or permission.
"""


def _env_help(text: str, field: str) -> str:
    from globusput.envnames import NAMES

    return f"{text} [env: {NAMES[field][0]}]"


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
    h = _env_help
    add = parser.add_argument
    add(
        "--base-dir",
        metavar="DIR",
        help=h(
            "place files relative to DIR instead of each pattern's fixed leading folders",
            "base_dir",
        ),
    )
    add(
        "--include-hidden",
        action="store_const",
        const=True,
        help=h(
            "let wildcards and folders include dotfiles (named ones always are)", "include_hidden"
        ),
    )
    add(
        "--follow-external-symlinks",
        action="store_const",
        const=True,
        help=h(
            "upload symlinks pointing outside the working or base folder",
            "follow_external_symlinks",
        ),
    )
    add(
        "--overwrite",
        choices=["always", "never", "changed"],
        help=h(
            "always replace; never replace; or replace only when size differs or the "
            "remote copy is older than the local file (default: always)",
            "overwrite",
        ),
    )
    add(
        "--no-verify-size",
        dest="verify_size",
        action="store_const",
        const=False,
        help=h("skip checking the stored size after each upload", "verify_size"),
    )
    add(
        "--atomic",
        dest="atomic",
        action="store_const",
        const=True,
        help=h(
            "upload every file to a temporary name and rename it into place (default: only "
            "files from --atomic-threshold on)",
            "atomic",
        ),
    )
    add(
        "--no-atomic",
        dest="atomic",
        action="store_const",
        const=False,
        help=h("write every file straight to its final name", "atomic"),
    )
    add(
        "--atomic-threshold",
        metavar="SIZE",
        help=h(
            "files this big or bigger go through a temporary name and one Transfer rename, "
            "e.g. 64MiB, 1GB (default: 64MiB)",
            "atomic_threshold",
        ),
    )
    add(
        "--whole-folder",
        action="store_const",
        const=True,
        help=h(
            "publish a new DESTINATION folder all at once: fill a hidden staging folder, "
            "then rename it into place",
            "whole_folder",
        ),
    )
    add(
        "--dry-run",
        action="store_const",
        const=True,
        help=h("resolve and print the plan, upload nothing", "dry_run"),
    )
    add(
        "--no-mkdir",
        dest="mkdir",
        action="store_const",
        const=False,
        help=h("do not create missing remote folders (GLOBUSPUT_MKDIR=false)", "mkdir"),
    )
    add("--version", action="version", version=f"globusput {__version__}")
    _add_shared(parser)
    return parser


def _add_shared(parser: argparse.ArgumentParser, manifest: bool = True) -> None:
    """The options every command that reaches a collection has."""
    h = _env_help
    add = parser.add_argument
    add(
        "-c",
        "--client-config",
        metavar="FILE",
        dest="client_config",
        help=h(
            'JSON file {"client_id": ..., "client_secret": ...}; otherwise '
            "GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET",
            "client_config",
        ),
    )
    add(
        "--concurrency",
        type=int,
        metavar="N",
        help=h("files moved at once, 1-32 (default: 4)", "concurrency"),
    )
    add(
        "--retries",
        type=int,
        metavar="N",
        help=h("attempts after the first for transient failures (default: 5)", "retries"),
    )
    add(
        "--retry-backoff",
        type=float,
        metavar="SECONDS",
        help=h("base of the exponential backoff between retries (default: 0.5)", "retry_backoff"),
    )
    add(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=h("network read timeout per request (default: 60)", "timeout"),
    )
    add(
        "--if-no-files-found",
        choices=["error", "warn", "ignore"],
        help=h(
            "when a pattern (or remote path) matches nothing (default: error)", "if_no_files_found"
        ),
    )
    if manifest:
        add("--manifest", metavar="FILE", help=h("write a JSON manifest of the run", "manifest"))
    add(
        "-n",
        "--no-browser",
        action="store_const",
        const=True,
        help=h("for interactive login, print a URL and read the code", "no_browser"),
    )
    add(
        "-v",
        "--verbose",
        action="store_const",
        const=True,
        help=h("show each request (never tokens)", "verbose"),
    )
    add(
        "-q",
        "--quiet",
        action="store_const",
        const=True,
        help=h("only warnings and errors", "quiet"),
    )


def parse_args(argv: Sequence[str]) -> dict[str, Any]:
    """CLI values keyed by setting name; options not given are absent (the env decides)."""
    namespace = build_parser().parse_args(argv)
    values = {k: v for k, v in vars(namespace).items() if v is not None and k != "args"}
    positional: list[str] = namespace.args
    if positional:
        if len(positional) < 3:
            raise ConfigError(
                "give PATH... DESTINATION COLLECTION_ID, or none of them to use the environment"
            )
        *values["paths"], values["destination"], values["collection_id"] = positional
    return values


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
    _add_shared(parser)
    return parser


def build_verify_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="globusput verify",
        usage="globusput verify [OPTIONS] MANIFEST [COLLECTION_ID]",
        description="Check that a collection holds every file a globusput manifest lists, at "
        "its recorded size, and nothing else in those folders: one Transfer listing per "
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
    _add_shared(parser, manifest=False)
    return parser


def parse_file_command(command: str, argv: Sequence[str]) -> dict[str, Any]:
    """``get`` and ``verify``: like :func:`parse_args`, with their own positionals."""
    parser = build_get_parser() if command == "get" else build_verify_parser()
    namespace = parser.parse_args(argv)
    values = {k: v for k, v in vars(namespace).items() if v is not None and k != "args"}
    values["command"] = command
    positional: list[str] = namespace.args
    if not positional:
        return values
    if command == "verify":
        if len(positional) > 2:
            raise ConfigError("give MANIFEST [COLLECTION_ID]")
        values["from_manifest"], *rest = positional
    elif "from_manifest" in values:
        if len(positional) > 2:
            raise ConfigError("with --from-manifest, give LOCAL_FOLDER [COLLECTION_ID]")
        values["destination"], *rest = positional
    else:
        if len(positional) < 3:
            raise ConfigError(
                "give REMOTE... LOCAL_FOLDER COLLECTION_ID, or none of them to use the environment"
            )
        *values["paths"], values["destination"], last = positional
        rest = [last]
    if rest:
        values["collection_id"] = rest[0]
    return values


def build_account_parser(command: str) -> argparse.ArgumentParser:
    """``login``, ``logout`` and ``whoami``: the Native App login of a person."""
    descriptions = {
        "login": "Log in to Globus as yourself; tokens are stored for later uploads.",
        "logout": "Revoke the stored Globus tokens and delete them.",
        "whoami": "Show the Globus identity the stored tokens belong to.",
    }
    parser = argparse.ArgumentParser(prog=f"globusput {command}", description=descriptions[command])
    if command == "login":
        parser.add_argument(
            "collections",
            nargs="*",
            metavar="COLLECTION_ID",
            help="also consent now to uploading to these collections",
        )
        parser.add_argument(
            "-n",
            "--no-browser",
            action="store_const",
            const=True,
            help=_env_help("print a URL and read the code", "no_browser"),
        )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_const",
        const=True,
        help=_env_help("more detail", "verbose"),
    )
    return parser


def split_command(args: list[str]) -> tuple[str | None, list[str]]:
    """The command named in ``args`` (its first word that is neither an option nor an
    option's value), and the rest: ``globusput -q get ...`` is ``globusput get -q ...``."""
    valued = {
        option
        for parser in (build_parser(), build_get_parser(), build_verify_parser())
        for action in parser._actions
        if action.nargs is None and action.option_strings
        for option in action.option_strings
    }
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] not in ("-", "--"):
        index += 2 if args[index] in valued else 1
    if index < len(args) and args[index] in ACCOUNT_COMMANDS + FILE_COMMANDS:
        return args[index], args[:index] + args[index + 1 :]
    return None, args


def main(argv: Sequence[str] | None = None) -> int:
    """Run globusput; returns the exit code (0 ok, 1 failed files, 2 usage, 3 auth)."""
    named, args = split_command(list(sys.argv[1:] if argv is None else argv))
    command = named or os.environ.get("GLOBUSPUT_COMMAND", "").strip() or "upload"
    collections: list[str] = []
    try:
        if command in ("get", "verify"):
            values = parse_file_command(command, args)
        elif command in ACCOUNT_COMMANDS:
            values = vars(build_account_parser(command).parse_args(args))
            collections = values.pop("collections", [])
        else:
            # --help and --version end here, before heavy imports; an unknown
            # GLOBUSPUT_COMMAND is the settings' to report, with the other settings
            values = parse_args(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code

    from globusput.report import Reporter
    from globusput.settings import load_settings

    reporter = Reporter()
    _mask_credentials(reporter)
    try:
        settings = load_settings(values)
        reporter.verbose, reporter.quiet = settings.verbose, settings.quiet
        _run(command, settings, reporter, collections)
    except GlobusputError as exc:
        reporter.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        reporter.error("interrupted")
        return EXIT_SIGINT
    except Exception as exc:  # a bug: say so without letting a secret reach the log
        import traceback

        if reporter.verbose:
            reporter.debug("".join(traceback.format_exception(exc)))
        reporter.error(f"internal error ({type(exc).__name__}: {exc}); please report it")
        return EXIT_FAILED
    return EXIT_OK


def _mask_credentials(reporter: Reporter) -> None:
    """Whatever the credential variables hold is a secret, before anything is validated or
    printed: a secret pasted into GLOBUS_CLIENT_ID (the two swapped) included."""
    for name in ("GLOBUS_CLIENT_SECRET", "GLOBUS_CLIENT_ID"):
        value = os.environ.get(name, "")
        if name == "GLOBUS_CLIENT_ID":
            try:
                uuid.UUID(value.strip())
                continue  # a client id is not secret
            except ValueError:
                pass
        reporter.add_secret(value)
        reporter.add_secret(value.strip())
        if name == "GLOBUS_CLIENT_SECRET" and value.strip() and value != value.strip():
            reporter.warn(f"{name} has spaces or line breaks around it; they were removed")


def _run(command: str, settings: Settings, reporter: Reporter, collections: list[str]) -> None:
    from globusput import userlogin

    # each command imports only what it needs: start-up time is most of a small run's cost
    if command == "get":
        from globusput.fetch import get

        get(settings, reporter)
    elif command == "verify":
        from globusput.fetch import verify

        verify(settings, reporter)
    elif command not in ACCOUNT_COMMANDS:
        from globusput.run import upload

        upload(settings, reporter)
    elif command == "login":
        userlogin.login_command(settings, reporter, collections)
    elif command == "logout":
        userlogin.logout_command(settings, reporter)
    else:
        userlogin.whoami_command(settings, reporter)
