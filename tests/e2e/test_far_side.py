"""The collection is another party's server: what its listings and answers claim is checked,
contained and bounded before anything reaches the runner's disk (the stand-in lies on
purpose: ``Collection.planted``, ``listed_sizes``, ``self_containing``)."""

from __future__ import annotations

import os
import time

import pytest

from .conftest import Runner


def release(run: Runner) -> None:
    run.remote_folder("/releases/1.2/docs")
    run.collection.fs_path("/releases/1.2/app.whl").write_bytes(b"wheel")
    run.collection.fs_path("/releases/1.2/docs/index.html").write_bytes(b"<p>docs</p>")


def entry(name: str, kind: str = "file", size: int = 5) -> dict[str, object]:
    return {"DATA_TYPE": "file", "name": name, "type": kind, "size": size}


PLANTED = ["/.git/config", "../../escape", "/etc/passwdx", "a\\b", ".."]


def test_names_a_listing_plants_fail_alone_and_nothing_lands_outside(run: Runner) -> None:
    release(run)
    run.collection.planted["/releases/1.2"] = [entry(n) for n in PLANTED]
    run.collection.planted["/releases/1.2/docs"] = [entry("/tmp", "dir")]
    result = run("get", "/releases/1.2/", ".", run.collection_id)
    assert result.returncode == 1, result.output
    assert (run.workspace / "releases/1.2/app.whl").read_bytes() == b"wheel"
    assert (run.workspace / "releases/1.2/docs/index.html").read_bytes() == b"<p>docs</p>"
    assert not (run.workspace / ".git").exists() and not (run.workspace / "etc").exists()
    assert not (run.workspace.parent / "escape").exists()
    assert result.stderr.count("not fetched") == len(PLANTED) + 1, result.stderr
    assert "error: /releases/1.2//.git/config: the listing names it" in result.stderr
    assert "2 fetched" in result.stderr and f"{len(PLANTED) + 1} failed" in result.stderr
    # the planted folder was not listed: no request ever named /tmp
    assert not any("/tmp" in (e.get("target") or "") for e in run.standin.log)


def test_a_listing_that_contains_itself_ends_the_walk_with_a_reason(run: Runner) -> None:
    release(run)
    run.collection.self_containing = True
    started = time.monotonic()
    result = run("get", "/releases/", "back", run.collection_id, timeout=120)
    assert result.returncode == 1, result.output
    assert "a listing that contains itself?" in result.stderr
    assert time.monotonic() - started < 60
    assert not (run.workspace / "back").exists()


def test_a_file_larger_than_listed_is_refused_and_the_others_come(run: Runner) -> None:
    release(run)
    run.collection.listed_sizes["/releases/1.2/app.whl"] = 2
    result = run("get", "/releases/1.2/", "back", run.collection_id)
    assert result.returncode == 1, result.output
    assert "the server offers 5 bytes of /releases/1.2/app.whl, its listing said 2" in (
        result.stderr
    )
    assert not (run.workspace / "back/releases/1.2/app.whl").exists()
    assert (run.workspace / "back/releases/1.2/docs/index.html").exists()
    assert os.listdir(run.workspace / "back/releases/1.2") == ["docs"]  # no part left


def test_verify_names_planted_entries_as_extra(run: Runner) -> None:
    run.write("pub/app.whl", "wheel")
    published = run("--manifest", "m.json", "--base-dir", "pub", "pub", "/rel/", run.collection_id)
    assert published.returncode == 0, published.output
    run.collection.planted["/rel"] = [entry("/etc/passwdx"), entry("::error ::x")]
    result = run("verify", "m.json", env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 1, result.output
    assert "extra /rel//etc/passwdx" in result.stderr and "2 extra" in result.stderr
    assert not any(line.startswith("::error ::x") for line in result.stdout.splitlines())


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_ci_output_files_that_are_no_files_are_refused_before_anything_is_sent(
    run: Runner, kind: str
) -> None:
    """A FIFO would hang the run after its work, a device (``/dev/full``) swallow or refuse
    what is written: both are said at the start, and nothing is sent."""
    run.write("a.txt", "a")
    target = run.workspace.parent / "output"
    if kind == "fifo":
        os.mkfifo(target)
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(target) if kind == "fifo" else "/dev/full",
    }
    result = run("a.txt", "/o/", run.collection_id, env=env, timeout=30)
    assert result.returncode == 2, result.output
    assert "is not a regular file (a pipe or a device)" in result.stderr
    assert run.standin.count("data.") == 0 and run.tree() == {}


def test_verify_sees_what_get_would_fetch_below_the_manifests_folders(run: Runner) -> None:
    run.write("pub/app.whl", "wheel")
    published = run("--manifest", "m.json", "--base-dir", "pub", "pub", "/rel/", run.collection_id)
    assert published.returncode == 0, published.output
    run.remote_folder("/rel/sub/deeper")
    run.collection.fs_path("/rel/sub/deeper/evil.whl").write_bytes(b"planted")
    result = run("verify", "m.json")
    assert result.returncode == 1, result.output
    assert "extra /rel/sub/deeper/evil.whl" in result.stderr and "1 extra" in result.stderr


def test_a_login_page_is_not_saved_when_no_listing_gives_the_size(run: Runner) -> None:
    release(run)
    run.collection.transfer_denied.add(f"{run.client_id}@clients.auth.globus.org")
    run.standin.add_fault("html", route="data.GET")
    result = run("get", "/releases/1.2/app.whl", "back", run.collection_id)
    assert result.returncode == 3, result.output
    assert "HTML page instead of the file" in result.stderr
    assert not (run.workspace / "back/releases/1.2/app.whl").exists()
