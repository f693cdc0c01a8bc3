"""``python -m globusput.testing``: serve the stand-in, or run one command against it.

``serve`` (the default) prints the variables to export and runs until Ctrl-C; ``run -- CMD``
starts the stand-in, runs CMD with those variables set, lists what the collection holds and
exits with CMD's status: a whole pipeline rehearsal in one line.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from globusput.testing.standin import (
    DEMO_CLIENT_ID,
    DEMO_COLLECTION_ID,
    DEMO_NATIVE_CLIENT_ID,
    DEMO_USERNAME,
    GUEST,
    MAPPED,
    StandIn,
    parse_latency,
    parse_rate,
)

#: ``--collection-type``: what Transfer says the demo collection is.
COLLECTION_TYPES: dict[str, dict[str, Any]] = {
    "guest": {"entity_type": GUEST},
    "mapped": {"entity_type": MAPPED},
    "mapped-high-assurance": {"entity_type": MAPPED, "high_assurance": True},
}


def demo_standin(
    workdir: Path | None,
    port: int,
    bind: str = "127.0.0.1",
    advertise: str | None = None,
    collection_type: str = "guest",
    person: bool = False,
    https_port: int = 0,
) -> tuple[StandIn, dict[str, str]]:
    """A stand-in with the demo client and collection, and the environment to reach it.

    The default Native App is registered and the stand-in's person may write to the demo
    collection too, so "log in as yourself" works as written (the browser step is approved
    at once)."""
    standin = StandIn(workdir, port=port, bind=bind, advertise=advertise).start()
    # a fresh secret each time: printed by serve, passed on by run, never in any file
    _, secret = standin.add_client(DEMO_CLIENT_ID)
    standin.add_native_client(DEMO_NATIVE_CLIENT_ID)
    standin.add_collection(
        DEMO_COLLECTION_ID,
        grant=[DEMO_CLIENT_ID, DEMO_USERNAME],
        display_name="globusput demo collection",
        https_port=https_port,
        **COLLECTION_TYPES[collection_type],
    )
    env = {**standin.environment(), "GLOBUS_COLLECTION_ID": DEMO_COLLECTION_ID}
    if not person:
        env.update(GLOBUS_CLIENT_ID=DEMO_CLIENT_ID, GLOBUS_CLIENT_SECRET=secret)
    return standin, env


def _add_distance_options(parser: argparse.ArgumentParser) -> None:
    """How far away and how strict the services are."""
    parser.add_argument(
        "--latency",
        type=_latency,
        default={},
        metavar="KIND=S,...|globus",
        help="answer each request after a delay, in seconds, per kind: auth, transfer "
        "(collection look-ups), op (Transfer mkdir/stat/rename/ls), data (each request to the "
        "HTTPS server); 'globus' is auth=0.15,transfer=0.25,op=0.6,data=0.03",
    )
    parser.add_argument(
        "--transfer-rate",
        type=_rate,
        metavar="N/Ts",
        help="limit Transfer to N requests per T-second window (e.g. 20/10s), shared by every "
        "run using this stand-in; beyond, 429",
    )
    parser.add_argument(
        "--no-retry-after",
        action="store_true",
        help="answer 429 without Retry-After (Globus documents neither)",
    )
    parser.add_argument(
        "--task-rate", type=int, metavar="BYTES", help="bytes a second a task moves"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        usage="%(prog)s [serve|run] [OPTIONS] [-- COMMAND...]",
        prog="python -m globusput.testing",
        description="A local stand-in for Globus services.",
    )
    parser.add_argument("mode", nargs="?", choices=["serve", "run"], default="serve")
    parser.add_argument("--dir", type=Path, help="keep collections and certificates here")
    parser.add_argument("--port", type=int, default=0, help="Auth/Transfer port (default: any)")
    parser.add_argument(
        "--bind", default="127.0.0.1", help="listening address (0.0.0.0 to serve containers)"
    )
    parser.add_argument(
        "--advertise",
        metavar="HOST",
        help="host name or address clients use, e.g. the host's IP for containers",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        help="with serve: also write the variables to this file ('export KEY=VALUE' lines: "
        "`source` it in a shell; `sed 's/^export //'` gives docker --env-file or GITHUB_ENV)",
    )
    parser.add_argument(
        "--https-port", type=int, default=0, help="the demo collection's HTTPS port (any)"
    )
    _add_distance_options(parser)
    parser.add_argument(
        "--collection-type",
        choices=sorted(COLLECTION_TYPES),
        default="guest",
        help="what the demo collection is: a guest collection (default) or a mapped one, "
        "whose data needs data_access consent unless it is high assurance",
    )
    parser.add_argument(
        "--person",
        action="store_true",
        help=f"leave the demo client's credentials out, so globusput logs in as the stand-in's "
        f"person ({DEMO_USERNAME}; the login is approved at once)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if args.mode == "run" and not command:
        parser.error(
            "run needs a command, e.g. run -- globusput README.md /demo/ " + DEMO_COLLECTION_ID
        )
    standin, env = demo_standin(
        args.dir,
        args.port,
        args.bind,
        args.advertise,
        args.collection_type,
        args.person,
        args.https_port,
    )
    standin.set_distance(args.latency, args.transfer_rate, not args.no_retry_after)
    if args.task_rate:
        standin.task_rate = args.task_rate
    collection = standin.collections[DEMO_COLLECTION_ID]
    try:
        if args.mode == "serve":
            _serve(env, args.env_file, collection.root)
            return 0
        return _run(command, env, args.person, collection.root)
    except KeyboardInterrupt:
        return 130
    finally:
        standin.stop()


def _serve(env: dict[str, str], env_file: Path | None, root: Path) -> None:
    for name, value in env.items():
        print(f"export {name}={shlex.quote(value)}")
    if env_file:
        env_file.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))
    sys.stdout.flush()
    print(f"# collection files are stored in {root}", file=sys.stderr)
    print("# serving; press Ctrl-C to stop", file=sys.stderr, flush=True)
    threading.Event().wait()


def _run(command: list[str], env: dict[str, str], person: bool, root: Path) -> int:
    """CMD with the stand-in's variables, then what the demo collection holds."""
    bindir = os.path.dirname(sys.executable)
    child_env = {**os.environ, **env, "PATH": bindir + os.pathsep + os.environ["PATH"]}
    if person:  # credentials of the calling shell would win over the login
        child_env.pop("GLOBUS_CLIENT_ID", None)
        child_env.pop("GLOBUS_CLIENT_SECRET", None)
    try:
        status = subprocess.call(command, env=child_env)
    except OSError as exc:  # not found, not executable
        print(f"error: cannot run {command[0]!r}: {exc.strerror}", file=sys.stderr)
        return 127
    print(f"\n# collection {DEMO_COLLECTION_ID} now holds:")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        print(f"#   /{path.relative_to(root).as_posix()} ({path.stat().st_size} bytes)")
    return status


def _latency(text: str) -> dict[str, float]:
    try:
        return parse_latency(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rate(text: str) -> tuple[int, float]:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
