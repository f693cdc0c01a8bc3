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


# -- whole-folder staging: claimed, resumed only under globusput's own record ------------------

STAGING = "/rel/.1.0.globusput-staging"
RECORD = STAGING + ".json"


def build(run: Runner, tag: str, count: int = 6) -> dict[str, str]:
    """``count`` files in out/; what /rel/1.0/ should hold once they are published."""
    for n in range(count):
        run.write(f"out/f{n}.bin", f"{tag} {n} ".encode() * 40)
    return {f"/rel/1.0/f{n}.bin": f"{tag} {n} " * 40 for n in range(count)}


def published(run: Runner) -> dict[str, str]:
    return {p: d.decode() for p, d in run.tree().items()}


WHOLE = ("--whole-folder", "--base-dir", "out", "out", "/rel/1.0/")


def test_bytes_changed_in_a_staging_folder_fail_verify_hash(run: Runner) -> None:
    """The record proves whose folder it is, not what its files hold now: the manifest keeps
    the local SHA-256 of a resumed file, so ``verify --hash`` catches bytes no run sent."""
    build(run, "good")
    run.remote_folder("/rel")
    run.standin.add_fault("status", path="*/f5.bin", status=400)
    assert run(*WHOLE, run.collection_id).returncode == 1
    run.collection.fs_path(STAGING + "/f2.bin").write_bytes(b"EVIL 2 " * 40)  # same size
    result = run("--manifest", "m.json", *WHOLE, run.collection_id)
    assert result.returncode == 0, result.output
    result = run("verify", "--hash", "m.json")
    assert result.returncode == 1, result.output
    assert "/rel/1.0/f2.bin" in result.stderr and "1 different" in result.stderr


def test_a_staging_folder_of_other_files_is_refused_and_left_alone(run: Runner) -> None:
    """Two runs of different files to one destination: the first publishes its own files
    only; the second stops, touching nothing (the issue's case 3 published a mix)."""
    first = build(run, "first")
    run.remote_folder("/rel")
    run.standin.add_fault("slow", path="*/f3.bin", rate=40)  # 280 bytes: 7 s
    proc = run.start(*WHOLE, run.collection_id)
    run.wait_for("data.PUT", RECORD)
    other = run.workspace / "other"
    for n in range(3):
        run.write(f"other/out/g{n}.bin", b"second")
    result = run(*WHOLE, run.collection_id, cwd=other)
    out, err = proc.communicate(timeout=60)
    run.outputs.append(out + err)
    assert result.returncode == 2, result.output
    assert f"{STAGING}/ is being filled (or was left) by an upload of other files" in result.stderr
    assert proc.returncode == 0, out + err
    assert published(run) == first
    assert not any("/g" in (e.get("path") or "") for e in run.standin.log)


def test_of_two_runs_of_the_same_files_one_publishes(run: Runner) -> None:
    """The later run takes the record over and publishes; the earlier one stops before its
    rename and says it published nothing."""
    expected = build(run, "same")
    run.remote_folder("/rel")
    run.standin.add_fault("slow", path="*/f3.bin", rate=60, times=1)  # 280 bytes: 4.7 s
    proc = run.start(*WHOLE, run.collection_id)
    run.wait_for("data.PUT", "*/f3.bin")
    result = run(*WHOLE, run.collection_id)
    out, err = proc.communicate(timeout=60)
    run.outputs.append(out + err)
    assert result.returncode == 0, result.output
    assert "published /rel/1.0/ with 6 files at once" in result.stdout
    assert proc.returncode == 1, out + err
    assert "took over /rel/.1.0.globusput-staging/ while this one filled it" in err
    assert "nothing was published" not in err  # its files do not wait anywhere
    assert published(run) == expected
    assert run.standin.counts["transfer.rename"] == 1


def test_a_trickling_server_cannot_hold_a_download(run: Runner) -> None:
    """One byte a second stays within any per-read timeout; the request's deadline (connect
    and read timeouts, plus the size at the slowest rate allowed) ends it."""
    release(run)
    run.collection.fs_path("/releases/1.2/app.whl").write_bytes(b"w" * 40)
    run.standin.add_fault("slow", route="data.GET", path="/releases/1.2/app.whl", rate=1)
    started = time.monotonic()
    result = run(
        "get", "--timeout", "2", "--retries", "0", "/releases/1.2/app.whl", "back/",
        run.collection_id,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    assert time.monotonic() - started < 20  # the trickle alone would take 40 s
    assert "no whole answer within 4 s" in result.stderr
    assert not (run.workspace / "back" / "app.whl").exists()


def test_a_token_the_server_echoes_reaches_no_sink(run: Runner) -> None:
    """A misconfigured or compromised server puts the caller's token in its reason phrase, a
    header and its body: the log, the annotations, the outputs, the job summary and the
    manifest never show it (GitLab examples publish the manifest as an artifact)."""
    run.remote_folder("/e")
    run.write("a.txt", "a")
    run.write("b.txt", "b")
    run.standin.add_fault("echo", path="/e/b.txt", status=400, times=99)
    github = run.workspace / "gh"
    github.mkdir()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(github / "output"),
        "GITHUB_STEP_SUMMARY": str(github / "summary"),
    }
    result = run("--manifest", "m.json", "a.txt", "b.txt", "/e/", run.collection_id, env=env)
    assert result.returncode == 1, result.output
    assert "b.txt: the server answered 400" in result.output
    # ::add-mask:: lines are how GitHub is told what to mask: the runner never shows them
    log = "\n".join(line for line in result.output.splitlines() if "::add-mask::" not in line)
    sinks = [log, (run.workspace / "m.json").read_text()]
    sinks += [(github / name).read_text() for name in ("output", "summary")]
    tokens = [t for t in run.standin.issued if len(t) > 20]
    assert tokens
    for name, sink in zip(["log", "manifest", "output", "summary"], sinks, strict=True):
        shown = [token[:6] for token in tokens if token in sink]
        assert not shown, (name, shown, sink[:3000])
    assert "is not welcome here" in (run.workspace / "m.json").read_text()
