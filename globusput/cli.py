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

_EPILOG = """\
Without client credentials, globusput logs you in as yourself (globusput login|logout|whoami).
With no PATH, DESTINATION or COLLECTION_ID, everything comes from the environment (CI use).
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
        "--if-no-files-found",
        choices=["error", "warn", "ignore"],
        help=h("when a pattern matches nothing (default: error)", "if_no_files_found"),
    )
    add(
        "--concurrency",
        type=int,
        metavar="N",
        help=h("parallel uploads, 1-32 (default: 4)", "concurrency"),
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
    add("--manifest", metavar="FILE", help=h("write a JSON manifest of the run", "manifest"))
    add(
        "--no-mkdir",
        dest="mkdir",
        action="store_const",
        const=False,
        help=h("do not create missing remote folders (GLOBUSPUT_MKDIR=false)", "mkdir"),
    )
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
    add("--version", action="version", version=f"globusput {__version__}")
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run globusput; returns the exit code (0 ok, 1 failed files, 2 usage, 3 auth)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args and args[0] in ACCOUNT_COMMANDS else "upload"
    collections: list[str] = []
    try:
        if command == "upload":
            values = parse_args(args)  # --help and --version end here, before heavy imports
        else:
            values = vars(build_account_parser(command).parse_args(args[1:]))
            collections = values.pop("collections", [])
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
    from globusput.run import upload

    if command == "upload":
        upload(settings, reporter)
    elif command == "login":
        userlogin.login_command(settings, reporter, collections)
    elif command == "logout":
        userlogin.logout_command(settings, reporter)
    else:
        userlogin.whoami_command(settings, reporter)
