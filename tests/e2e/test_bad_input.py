"""Hostile or wrong input: a clear one-line error, the right exit code, nothing sent to
Transfer or the collection."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import Runner

UUID = "6528bad5-bc02-497d-8a4f-a38547d0e72a"


@dataclass
class Case:
    name: str
    args: list[str]  #: "{C}" stands for the collection id, "{B}" for its HTTPS base URL
    message: str
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    drop: tuple[str, ...] = ()
    code: int = 2


def _fifo(ws: Path) -> None:
    os.mkfifo(ws / "pipe")


def _outside_link(ws: Path) -> None:
    (ws.parent / "outside.txt").write_text("secret")
    os.symlink(ws.parent / "outside.txt", ws / "link.txt")


def _loop(ws: Path) -> None:
    os.symlink("loop.txt", ws / "loop.txt")


def _client_config(content: str) -> Callable[[Path], None]:
    return lambda ws: (ws / "client.json").write_text(content)


#: A secret the hostile cases plant in files; refusals come before Globus Auth is asked.
PLANTED = "planted-secret-value-0123456789"
CONFIG = f'{{"client_id": "{UUID}", "client_secret": "{PLANTED}"}}'


def _planted(name: str, content: str) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text(content)
        (ws / name).chmod(0o600)

    return setup


def _outside_folder(ws: Path) -> None:
    (ws.parent / "outdir").mkdir()
    (ws.parent / "outdir" / "x.txt").write_text("x")
    os.symlink(ws.parent / "outdir", ws / "out")


CASES = [
    Case("collection id not a uuid", ["a.txt", "/d/", "not-a-uuid"], "GLOBUS_COLLECTION_ID"),
    Case("collection id too short", ["a.txt", "/d/", UUID[:-1]], "GLOBUS_COLLECTION_ID"),
    Case(
        "client id not a uuid",
        ["a.txt", "/d/", "{C}"],
        "GLOBUS_CLIENT_ID",
        env={"GLOBUS_CLIENT_ID": "my-client"},
    ),
    Case(
        "blank secret",
        ["a.txt", "/d/", "{C}"],
        "GLOBUS_CLIENT_SECRET: is empty",
        env={"GLOBUS_CLIENT_SECRET": "   "},
    ),
    Case(
        "missing secret",
        ["a.txt", "/d/", "{C}"],
        "GLOBUS_CLIENT_SECRET",
        drop=("GLOBUS_CLIENT_SECRET",),
    ),
    Case(
        "no credentials",
        ["a.txt", "/d/", "{C}"],
        "no client credentials",
        drop=("GLOBUS_CLIENT_ID", "GLOBUS_CLIENT_SECRET"),
    ),
    Case("client config missing", ["-c", "nope.json", "a.txt", "/d/", "{C}"], "cannot read"),
    Case(
        "client config not json",
        ["-c", "client.json", "a.txt", "/d/", "{C}"],
        "not valid JSON",
        setup=_client_config("{client_id: x"),
    ),
    Case(
        "client config wrong keys",
        ["-c", "client.json", "a.txt", "/d/", "{C}"],
        "must hold the keys",
        setup=_client_config('{"id": "x", "secret": "y"}'),
    ),
    Case("http destination", ["a.txt", "http://localhost/d/", "{C}"], "not https"),
    Case("dot-dot destination", ["a.txt", "/d/../../etc/", "{C}"], "'..' segment"),
    Case("encoded dot-dot", ["a.txt", "https://localhost/d/%2e%2e/x/", "{C}"], "'..' segment"),
    Case("query in destination", ["a.txt", "https://localhost/d/?x=1", "{C}"], "query"),
    Case("control characters", ["a.txt", "/d/\x1b[31m/", "{C}"], "control characters"),
    Case("pattern matching nothing", ["nothing*.whl", "/d/", "{C}"], "no files match"),
    Case("missing literal file", ["missing.txt", "/d/", "{C}"], "no files match"),
    Case("folder destination without slash", ["a.txt", "b.txt", "/d", "{C}"], "end it with '/'"),
    Case("collision", ["a.txt", "sub/a.txt", "/d/", "{C}"], "would both be stored"),
    Case("fifo", ["pipe", "/d/", "{C}"], "FIFO", setup=_fifo),
    Case("device file", ["/dev/null", "/d/", "{C}"], "not a regular file"),
    Case(
        "symlink outside",
        ["link.txt", "/d/", "{C}"],
        "--follow-external-symlinks",
        setup=_outside_link,
    ),
    Case("symlink loop", ["loop.txt", "/d/", "{C}"], "looping symlink", setup=_loop),
    Case(
        "concurrency zero", ["--concurrency", "0", "a.txt", "/d/", "{C}"], "GLOBUSPUT_CONCURRENCY"
    ),
    Case(
        "concurrency absurd",
        ["--concurrency", "100000", "a.txt", "/d/", "{C}"],
        "less than or equal to 32",
    ),
    Case(
        "concurrency text",
        ["a.txt", "/d/", "{C}"],
        "GLOBUSPUT_CONCURRENCY",
        env={"GLOBUSPUT_CONCURRENCY": "lots"},
    ),
    Case("negative retries", ["--retries", "-1", "a.txt", "/d/", "{C}"], "GLOBUSPUT_RETRIES"),
    Case(
        "bad overwrite",
        ["a.txt", "/d/", "{C}"],
        "GLOBUSPUT_OVERWRITE",
        env={"GLOBUSPUT_OVERWRITE": "sometimes"},
    ),
    Case(
        "base dir missing",
        ["--base-dir", "nowhere", "a.txt", "/d/", "{C}"],
        "nowhere is not a folder",
    ),
    Case(
        "match outside base dir", ["--base-dir", "sub", "a.txt", "/d/", "{C}"], "outside --base-dir"
    ),
    Case("too few arguments", ["a.txt", "/d/"], "DESTINATION COLLECTION_ID"),
    Case(
        "tls verification off",
        ["a.txt", "/d/", "{C}"],
        "GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY",
        env={"GLOBUS_SDK_VERIFY_SSL": "false"},
    ),
    Case(
        "ca bundle missing",
        ["a.txt", "/d/", "{C}"],
        "GLOBUS_SDK_VERIFY_SSL",
        env={"GLOBUS_SDK_VERIFY_SSL": "/nonexistent/ca.pem"},
    ),
    Case("empty folder in destination", ["a.txt", "/builds//x/", "{C}"], "empty folder name"),
    Case(
        "empty CI variable in destination",
        [],
        "empty folder name ('//')",
        env={
            "GLOBUSPUT_PATHS": "a.txt",
            "GLOBUSPUT_DESTINATION": "/builds//",
            "GLOBUS_COLLECTION_ID": UUID,
        },
    ),
    Case("destination in double quotes", ["a.txt", '"/d/"', "{C}"], "wrapped in quotes"),
    Case("destination in single quotes", ["a.txt", "'/d/x.txt'", "{C}"], "wrapped in quotes"),
    Case(
        "quoted destination from an env file",
        [],
        "remove the quotes",
        env={
            "GLOBUSPUT_PATHS": "a.txt",
            "GLOBUSPUT_DESTINATION": '"/builds/"',
            "GLOBUS_COLLECTION_ID": UUID,
        },
    ),
    Case("name over 255 bytes", ["a.txt", "/d/" + "x" * 256, "{C}"], "256 bytes"),
    Case("name over 255 bytes in UTF-8", ["a.txt", "/d/" + "é" * 128 + ".txt", "{C}"], "260 bytes"),
    Case("manifest is a folder", ["--manifest", "sub", "a.txt", "/d/", "{C}"], "is a folder"),
    Case(
        "manifest below a file",
        ["--manifest", "a.txt/m.json", "a.txt", "/d/", "{C}"],
        "is not a folder",
    ),
    Case(
        "every match excluded",
        ["*.txt", "!*.txt", "/d/", "{C}"],
        "every match of '*.txt' is excluded by '!*.txt'",
    ),
    Case(
        "client-config file selected",
        ["-c", "client.json", "*.json", "/d/", "{C}"],
        "refusing to upload client.json (matched by '*.json'): it is the client-config file",
        setup=_planted("client.json", CONFIG),
    ),
    Case(
        "client-config file inside a selected folder",
        ["-c", "conf/client.json", "conf", "/d/", "{C}"],
        "refusing to upload conf/client.json (matched by 'conf')",
        setup=_planted("conf/client.json", CONFIG),
    ),
    Case(
        "a file holding the secret",
        ["*.txt", "/d/", "{C}"],
        "refusing to upload secrets.txt (matched by '*.txt'): it is a file holding the client "
        "secret",
        env={"GLOBUS_CLIENT_SECRET": PLANTED},
        setup=_planted("secrets.txt", f"GLOBUS_CLIENT_SECRET={PLANTED}\n"),
    ),
    Case(
        "the token store, named",
        ["--include-hidden", "home/.globus", "/d/", "{C}"],
        "it is the Globus token store",
        env={"HOME": "{W}/home"},
        setup=_planted(
            "home/.globus/app/fe8e6f96-8254-4554-b4f6-0ba17e526669/globusput/tokens.json", "{}"
        ),
    ),
    Case(
        "symlinked folder leading outside",
        ["out", "/d/", "{C}"],
        "reached through a symlinked folder",
        setup=_outside_folder,
    ),
    Case(
        "client config with a number for the id",
        ["-c", "client.json", "a.txt", "/d/", "{C}"],
        "client_id must be a string",
        setup=_client_config('{"client_id": 12, "client_secret": "y"}'),
    ),
    Case(
        "client config with a list for the secret",
        ["-c", "client.json", "a.txt", "/d/", "{C}"],
        "client_secret must be a string",
        setup=_client_config(f'{{"client_id": "{UUID}", "client_secret": ["y"]}}'),
    ),
    Case(
        "secret and id swapped",
        ["a.txt", "/d/", "{C}"],
        "GLOBUS_CLIENT_ID: is not a UUID (a client id looks like 6f1c5c2e-...): check that the id",
        env={"GLOBUS_CLIENT_ID": PLANTED, "GLOBUS_CLIENT_SECRET": UUID},
    ),
    Case(
        "empty folder in a URL destination",
        ["a.txt", "https://localhost/d//x/", "{C}"],
        "empty folder name",
    ),
    Case("get: a relative remote path", ["get", "rel/a.whl", "out", "{C}"], "from the top"),
    Case("get: too few arguments", ["get", "/rel/", "{C}"], "REMOTE... LOCAL_FOLDER"),
    Case(
        "get: remote paths and a manifest",
        ["get", "/rel/a.txt", "out", "{C}"],
        "give remote paths or a manifest, not both",
        env={"GLOBUSPUT_FROM_MANIFEST": "a.txt"},
    ),
    Case("get: into a file", ["get", "/rel/", "a.txt", "{C}"], "a.txt is a file: name a folder"),
    Case("get: a manifest that is not one", ["get", "--from-manifest", "a.txt", "out"], "JSON"),
    Case("verify: no manifest", ["verify"], "GLOBUSPUT_FROM_MANIFEST (--from-manifest)"),
    Case("verify: a missing manifest", ["verify", "none.json"], "cannot read the manifest"),
    Case(
        "an unknown command",
        [],
        "GLOBUSPUT_COMMAND (COMMAND): Input should be 'upload', 'get', 'verify', 'delete'",
        env={"GLOBUSPUT_COMMAND": "download"},
    ),
    Case(
        "empty destination",
        ["a.txt"],
        "GLOBUSPUT_DESTINATION",
        env={
            "GLOBUSPUT_PATHS": "a.txt",
            "GLOBUSPUT_DESTINATION": " ",
            "GLOBUS_COLLECTION_ID": UUID,
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(run: Runner, case: Case) -> None:
    run.write("a.txt", "a")
    run.write("b.txt", "b")
    run.write("sub/a.txt", "other a")
    if case.setup:
        case.setup(run.workspace)
    args = [a.replace("{C}", run.collection_id) for a in case.args]
    if case.name == "empty destination":
        args = []
    env = {k: v.replace("{W}", str(run.workspace)) for k, v in case.env.items()}
    result = run(*args, env=env, drop=case.drop)
    assert result.returncode == case.code, result.output
    assert case.message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert all(line.startswith("error: ") for line in result.stderr.splitlines()), result.stderr
    assert run.sent_nothing(), run.standin.counts
    assert result.stdout == ""
    assert PLANTED not in result.output
