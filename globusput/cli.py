"""Command line: ``globusput [COMMAND] [OPTIONS] ...``; the only place that turns exceptions
into messages and exit codes.

Parsing needs only :mod:`globusput.options`, so ``--help`` and ``--version`` answer at once;
the settings model and the chosen command's module (and with it globus-sdk and the HTTP
stack) are imported only once the arguments are understood.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import traceback
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from globusput.account_options import build_account_parser
from globusput.envnames import SAFETY, misspelled
from globusput.errors import EXIT_FAILED, EXIT_OK, EXIT_SIGINT, ConfigError, GlobusputError
from globusput.options import (
    ACCOUNT_COMMANDS,
    FILE_COMMANDS,
    REMOVAL_COMMANDS,
    build_get_parser,
    build_parser,
    build_verify_parser,
)
from globusput.task_options import build_removal_parser, build_wait_parser

if TYPE_CHECKING:
    from globusput.report import Reporter


def run() -> NoReturn:
    """The console script. Start-up allocates objects that live as long as the process, so the
    collector is off until the command is loaded; at the end, tearing the interpreter down
    (pydantic, cryptography: about 0.13 s, as long as the upload of a small file) is skipped:
    every file a run writes is closed by then, and only stdout and stderr need flushing."""
    gc.disable()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            code = code or EXIT_FAILED
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run globusput; returns the exit code (0 ok, 1 failed files, 2 usage, 3 auth)."""
    named, args = split_command(list(sys.argv[1:] if argv is None else argv))
    command = named or os.environ.get("GLOBUSPUT_COMMAND", "").strip() or "upload"
    extra: dict[str, Any] = {}
    try:
        if command in ("get", "verify"):
            values = parse_file_command(command, args)
        elif command in (*REMOVAL_COMMANDS, "wait"):
            values = parse_task_command(command, args)
        elif command in ACCOUNT_COMMANDS:
            values = vars(build_account_parser(command).parse_args(args))
            if command == "login":
                extra["collections"] = values.pop("collections")
        else:
            # --help and --version end here, before heavy imports; an unknown
            # GLOBUSPUT_COMMAND is the settings' to report, with the other settings
            values = parse_args(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code

    misses = misspelled(os.environ)
    if command in ("upload", "get", "verify"):  # globus-sdk now: Auth answers while pydantic loads
        from globusput.early import ask_early

        ask_early(values, os.environ, misses)
    from globusput.report import Reporter
    from globusput.settings import load_settings

    reporter = Reporter()
    _mask_credentials(reporter)
    try:
        settings = load_settings(values, _misspelled(reporter, misses))
        reporter.verbose, reporter.quiet = settings.verbose, settings.quiet
        name = command if command in (*ACCOUNT_COMMANDS, *FILE_COMMANDS) else "upload"
        module = importlib.import_module(f"globusput.commands.{name}")
        if not gc.isenabled():  # run() turned it off: what start-up made stays for good
            gc.freeze()
            gc.enable()
        module.run(settings, reporter, **extra)
    except GlobusputError as exc:
        reporter.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        reporter.error("interrupted")
        return EXIT_SIGINT
    except Exception as exc:  # a bug: say so without letting a secret reach the log
        if reporter.verbose:
            reporter.debug("".join(traceback.format_exception(exc)))
        reporter.error(f"internal error ({type(exc).__name__}: {exc}); please report it")
        return EXIT_FAILED
    return EXIT_OK


def _misspelled(reporter: Reporter, misses: list[tuple[str, str | None]]) -> list[str]:
    """Variables that look like settings and are none: a warning each, naming the closest
    setting; a near miss of a safety switch (the dry run) is a problem that stops the run."""
    stops = []
    for name, closest in misses:
        if closest in SAFETY:
            stops.append(
                f"{name} is not a setting: did you mean {closest}? Nothing was sent, as a "
                "misspelled dry run would upload for real"
            )
        else:
            hint = f"did you mean {closest}?" if closest else "see globusput --help for the names"
            reporter.warn(f"{name} is not a setting and was ignored: {hint}")
    return stops


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


def parse_task_command(command: str, argv: Sequence[str]) -> dict[str, Any]:
    """``delete PATH... [COLLECTION_ID]``, ``prune FOLDER [COLLECTION_ID]``: the last word is
    the collection when it is a UUID (a path on the collection starts with '/');
    ``wait TASK_ID [COLLECTION_ID]``."""
    parser = build_wait_parser() if command == "wait" else build_removal_parser(command)
    namespace = parser.parse_intermixed_args(argv)
    values = {k: v for k, v in vars(namespace).items() if v is not None and k != "args"}
    values["command"] = command
    positional: list[str] = namespace.args
    if command == "wait":
        if len(positional) > 2:
            raise ConfigError("give TASK_ID [COLLECTION_ID]")
        values.update(zip(("task_id", "collection_id"), positional, strict=False))
        return values
    if positional:
        try:
            values["collection_id"] = str(uuid.UUID(positional[-1].strip()))
            positional = positional[:-1]
        except ValueError:
            pass
    if positional:
        values["paths"] = positional
    return values


def split_command(args: list[str]) -> tuple[str | None, list[str]]:
    """The command named in ``args`` (its first word that is neither an option nor an
    option's value), and the rest: ``globusput -q get ...`` is ``globusput get -q ...``."""
    valued = {
        option
        for parser in (
            build_parser(),
            build_get_parser(),
            build_verify_parser(),
            *(build_removal_parser(c) for c in REMOVAL_COMMANDS),
            build_wait_parser(),
        )
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
