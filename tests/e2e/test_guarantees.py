"""Promises the README makes that no other test held to: the token goes only to the
collection, secrets are masked before anything else is printed, a throttled Transfer is waited
for wherever it throttles, and a name is one line of the log whatever it holds."""

from __future__ import annotations

import pytest

from .conftest import Runner


@pytest.mark.parametrize("method", ["PUT", "GET"])
def test_a_redirect_elsewhere_never_takes_the_token_along(run: Runner, method: str) -> None:
    """A collection (or something in front of it) answers with a redirect to another host:
    the run fails clearly and that host receives nothing at all."""
    other = run.standin.add_collection(grant=[run.client_id])
    try:
        elsewhere = f"{other.https_server}/stolen"
        run.write("a.txt", "secret data")
        run.remote_folder("/r")
        if method == "GET":
            run.collection.fs_path("/r/a.txt").write_bytes(b"secret data")
        run.standin.add_fault("status", route=f"data.{method}", status=302, location=elsewhere)
        args = (
            ("get", "/r/a.txt", "back", run.collection_id)
            if method == "GET"
            else (
                "a.txt",
                "/r/",
                run.collection_id,
            )
        )
        result = run(*args)
        assert result.returncode == 3, result.output
        assert "redirected (302) to a login page" in result.stderr
        arrived = [e for e in run.standin.log if e.get("collection") == other.id]
        assert arrived == [], "the redirect was followed"
    finally:
        assert other.server is not None
        other.server.shutdown()
        other.server.server_close()
        del run.standin.collections[other.id]


@pytest.mark.parametrize(
    "env",
    [{}, {"GLOBUSPUT_CONCURRENCY": "0", "GLOBUSPUT_OVERWRITE": "sometimes"}],
    ids=["valid-settings", "invalid-settings"],
)
def test_the_secret_is_masked_before_anything_else_is_printed(
    run: Runner, env: dict[str, str]
) -> None:
    """In GitHub Actions the runner hides a value only from the moment it is told to: the
    mask comes first, also when the settings turn out to be invalid."""
    run.write("a.txt", "a")
    result = run("a.txt", "/m/", run.collection_id, env={"GITHUB_ACTIONS": "true", **env})
    assert result.returncode == (2 if env else 0), result.output
    assert result.stdout.splitlines()[0] == f"::add-mask::{run.client_secret}"


def test_a_throttled_transfer_is_waited_for_on_every_kind_of_call(run: Runner) -> None:
    """429 on the collection look-up, stat, listing, mkdir and rename, once each: each call is
    repeated after Retry-After and the run succeeds."""
    run.write("a.txt", "a")
    routes = ("endpoint", "stat", "ls", "mkdir", "rename")
    for route in routes:
        run.standin.add_fault("status", route=f"transfer.{route}", status=429, retry_after=1)
    result = run("-v", "--atomic", "--overwrite", "changed", "a.txt", "/t/a.txt", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/t/a.txt") == b"a"
    for route in routes:
        assert run.standin.counts[f"transfer.{route}"] >= 2, (route, run.standin.counts)
    assert f"throttled {len(routes)} time(s)" in result.stderr


def test_a_name_with_a_line_break_is_one_line_of_the_log(run: Runner) -> None:
    run.write("two\nlines.txt", "x")
    run.write("::warning ::fake.txt", "y")
    result = run(
        "--base-dir", ".", "two\nlines.txt", "::warning ::fake.txt", "/n/", run.collection_id
    )
    assert result.returncode == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("uploaded two\\nlines.txt -> ") for line in lines), lines
    assert not any(line.startswith(("lines.txt", "::warning")) for line in lines), lines
    assert run.stored("/n/two\nlines.txt") == b"x"
