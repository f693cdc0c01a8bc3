"""Hostile or wrong input: a clear one-line error, the right exit code, zero requests sent."""

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
    result = run(*args, env=case.env, drop=case.drop)
    assert result.returncode == case.code, result.output
    assert case.message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert all(line.startswith("error: ") for line in result.stderr.splitlines()), result.stderr
    assert run.standin.count() == 0, run.standin.counts
    assert result.stdout == ""
