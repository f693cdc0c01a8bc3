"""globusput get and verify against the stand-in: round trips, resumes, damaged sets."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from globusput.testing import client_username

from ..github_files import read_outputs
from .conftest import Runner
from .test_hostile import HOSTILE, assert_runner_obeys_nothing


def tree(root: Path) -> dict[bytes, bytes]:
    """Every file below ``root`` by relative path, as bytes (names need not be UTF-8)."""
    found = {}
    base = os.fsencode(root)
    for folder, _, names in os.walk(base):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as stream:
                found[os.path.relpath(path, base)] = stream.read()
    return found


def publish(run: Runner, files: dict[str, bytes], manifest: str = "m.json") -> None:
    """Upload ``files`` (relative names) to /rel/ with a manifest, as a release job would."""
    for name, data in files.items():
        run.write(f"pub/{name}", data)
    result = run("--manifest", manifest, "--base-dir", "pub", "pub", "/rel/", run.collection_id)
    assert result.returncode == 0, result.output
    run.standin.counts.clear()
    run.standin.log.clear()


FILES = {"a.whl": b"wheel" * 1000, "docs/index.html": b"<html>docs</html>", "docs/x/y.txt": b"y"}


def test_a_hostile_tree_makes_the_round_trip_byte_identical(run: Runner, tmp_path: Path) -> None:
    base = os.fsencode(run.collection.root / "h")
    os.makedirs(os.path.join(base, b"sub"))
    for name in HOSTILE:
        with open(os.path.join(base, b"sub" if name == b"plain.txt" else b"", name), "wb") as out:
            out.write(b"content of " + name)
    github = tmp_path / "github"
    github.mkdir()
    result = run(
        entrypoint=True,
        env={
            "GLOBUSPUT_COMMAND": "get",
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(github / "output"),
            "GITHUB_STEP_SUMMARY": str(github / "summary"),
            "GLOBUSPUT_PATHS": "/h/",
            "GLOBUSPUT_DESTINATION": "got",
            "GLOBUS_COLLECTION_ID": run.collection_id,
            "GLOBUSPUT_MANIFEST": str(github / "manifest.json"),
        },
    )
    assert result.returncode == 0, result.output
    assert_runner_obeys_nothing(result)
    expected = {
        (b"h/sub/" if n == b"plain.txt" else b"h/") + n: b"content of " + n for n in HOSTILE
    }
    assert tree(run.workspace / "got") == expected
    # one listing per folder (/h and /h/sub), one GET per file, nothing else on Transfer
    assert run.standin.counts["transfer.ls"] == 2
    assert run.standin.counts["data.GET"] == len(HOSTILE)
    assert run.standin.count("transfer.") == 1 + 2  # the endpoint document, then the listings
    outputs = read_outputs(github / "output")
    assert outputs["count"] == str(len(HOSTILE))
    assert {os.fsencode(p) for p in json.loads(outputs["fetched"])} == {
        b"got/" + p for p in expected
    }
    manifest = json.loads((github / "manifest.json").read_text())
    assert manifest["fetched"] == len(HOSTILE) and manifest["failed"] == 0
    for entry in manifest["files"]:
        local = os.fsencode(entry["destination"])
        with open(os.path.join(os.fsencode(run.workspace), local), "rb") as stream:
            assert entry["sha256"] == hashlib.sha256(stream.read()).hexdigest()
    assert "### globusput get: 9 fetched" in (github / "summary").read_text()


def test_upload_then_get_from_its_manifest(run: Runner) -> None:
    publish(run, FILES)
    result = run("get", "--manifest", "g.json", "--from-manifest", "m.json", "back")
    assert result.returncode == 0, result.output
    assert tree(run.workspace / "back") == {f"rel/{n}".encode(): d for n, d in FILES.items()}
    assert run.standin.counts["transfer.ls"] == 3  # /rel, /rel/docs, /rel/docs/x
    assert run.standin.counts["data.GET"] == 3
    # the get's own manifest can be verified against the collection, and fetched again
    assert run("verify", "g.json").returncode == 0
    assert run("get", "--from-manifest", "g.json", "again").returncode == 0
    assert tree(run.workspace / "again") == tree(run.workspace / "back")
    # the local copies keep the remote modification times
    remote = (run.collection.root / "rel/a.whl").stat().st_mtime
    assert abs((run.workspace / "back/rel/a.whl").stat().st_mtime - remote) < 1


@pytest.mark.parametrize("kind", ["reset", "truncate"])
@pytest.mark.parametrize("honours_range", [True, False], ids=["range", "no-range"])
def test_a_broken_download_resumes_from_the_break(
    run: Runner, kind: str, honours_range: bool
) -> None:
    data = random.Random(13).randbytes(3 << 20)
    run.collection.honours_range = honours_range
    (run.collection.root / "big").mkdir()
    (run.collection.root / "big/f.bin").write_bytes(data)
    cut = (5 << 20) // 2
    run.standin.add_fault(kind, route="data.GET", after_bytes=cut)
    result = run("get", "--retry-backoff", "0", "/big/f.bin", "out", run.collection_id)
    assert result.returncode == 0, result.output
    assert (run.workspace / "out/big/f.bin").read_bytes() == data
    assert os.listdir(run.workspace / "out/big") == ["f.bin"]  # no temporary file left
    gets = [e for e in run.standin.log if e["route"] == "data.GET"]
    sent = [e for e in run.standin.log if e["route"] == "sent.GET"]
    assert len(gets) == 2 and gets[0]["range"] is None and sent[0]["bytes"] == cut
    # asked again only from the break: what had arrived in whole reads of 256 KiB
    held = cut - cut % (256 << 10)
    assert held > 0 and gets[1]["range"] == f"bytes={held}-"
    if honours_range:
        assert sent[1]["bytes"] == len(data) - held and sent[1]["start"] == held
    else:  # the whole file came again: the copy started over
        assert sent[1]["bytes"] == len(data) and sent[1]["start"] == 0


def test_a_file_that_is_not_the_recorded_one_fails_and_leaves_nothing(run: Runner) -> None:
    publish(run, FILES)
    (run.collection.root / "rel/a.whl").write_bytes(b"WHEEL" * 1000)  # same size, other bytes
    result = run("get", "--from-manifest", "m.json", "back")
    assert result.returncode == 1, result.output
    (line,) = [x for x in result.stderr.splitlines() if "SHA-256" in x]
    assert line.startswith("error: /rel/a.whl: SHA-256 of the copy is ")
    assert hashlib.sha256(b"wheel" * 1000).hexdigest() in line
    assert tree(run.workspace / "back") == {
        f"rel/{n}".encode(): d for n, d in FILES.items() if n != "a.whl"
    }
    assert "1 failed" in result.stderr


def test_missing_files_and_paths(run: Runner) -> None:
    publish(run, FILES)
    (run.collection.root / "rel/docs/index.html").unlink()
    result = run("get", "--from-manifest", "m.json", "back")
    assert result.returncode == 1, result.output
    assert "error: /rel/docs/index.html: not on the collection" in result.stderr
    assert run.standin.counts["data.GET"] == 2  # the missing file was not asked for
    assert sorted(tree(run.workspace / "back")) == [b"rel/a.whl", b"rel/docs/x/y.txt"]

    run.standin.counts.clear()
    result = run("get", "/rel/nothing/", "/rel/no.txt", "back2", run.collection_id)
    assert result.returncode == 2, result.output
    assert "nothing on the collection at '/rel/nothing/', '/rel/no.txt'" in result.stderr
    assert run.standin.count("data.") == 0 and not (run.workspace / "back2").exists()
    result = run(
        "get",
        "--if-no-files-found",
        "warn",
        "/rel/nothing/",
        "/rel/a.whl",
        "back2",
        run.collection_id,
    )
    assert result.returncode == 0, result.output
    assert "warning: nothing on the collection at '/rel/nothing/'" in result.stderr
    assert tree(run.workspace / "back2") == {b"rel/a.whl": FILES["a.whl"]}


def test_a_manifest_of_another_server_is_refused_before_any_download(run: Runner) -> None:
    publish(run, FILES)
    text = (run.workspace / "m.json").read_text()
    host = run.collection.https_server
    assert host is not None
    (run.workspace / "m.json").write_text(text.replace(host, "https://elsewhere.example"))
    result = run("get", "--from-manifest", "m.json", "back")
    assert result.returncode == 2, result.output
    assert "the manifest's files are on elsewhere.example" in result.stderr
    assert run.standin.count("data.") == 0 and not (run.workspace / "back").exists()


def test_a_step_up_page_is_not_taken_for_the_file(run: Runner) -> None:
    publish(run, FILES)
    run.standin.add_fault("html", route="data.GET", path="/rel/a.whl")
    result = run("get", "/rel/a.whl", "/rel/docs/index.html", "back", run.collection_id)
    assert result.returncode == 3, result.output
    assert "error: /rel/a.whl: the server answered with an HTML page instead" in result.stderr
    # an HTML file of the listed size is a file like any other
    assert tree(run.workspace / "back") == {b"rel/docs/index.html": FILES["docs/index.html"]}


def test_verify_a_complete_set_with_one_listing_per_folder(run: Runner, tmp_path: Path) -> None:
    publish(run, FILES)
    github = tmp_path / "github"
    github.mkdir()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(github / "output"),
        "GITHUB_STEP_SUMMARY": str(github / "summary"),
    }
    result = run("verify", "m.json", env=env)
    assert result.returncode == 0, result.output
    assert "3 of 3 files as recorded (same size); 0 missing, 0 different, 0 extra" in result.stdout
    assert run.standin.counts["transfer.ls"] == 3 and run.standin.count("data.") == 0
    outputs = read_outputs(github / "output")
    assert (outputs["missing"], outputs["different"], outputs["extra"]) == ("[]", "[]", "[]")
    assert outputs["count"] == "3"
    assert "globusput verify: complete" in (github / "summary").read_text()


def test_verify_a_damaged_set_names_each_problem(run: Runner) -> None:
    publish(run, FILES)
    root = run.collection.root / "rel"
    (root / "docs/x/y.txt").unlink()
    (root / "docs/index.html").write_bytes(b"<html>changed docs</html>")
    (root / "docs/added.txt").write_bytes(b"added")
    (root / "a.whl").write_bytes(b"WHEEL" * 1000)  # same size: only --hash can tell
    result = run("verify", "m.json")
    assert result.returncode == 1, result.output
    assert "error: missing /rel/docs/x/y.txt" in result.stderr
    assert "error: different /rel/docs/index.html: 25 bytes on the collection, 17 in the" in (
        result.stderr
    )
    assert "error: extra /rel/docs/added.txt" in result.stderr
    assert "a.whl" not in result.stderr and run.standin.count("data.") == 0

    result = run("verify", "--hash", "m.json")
    assert result.returncode == 1, result.output
    assert "error: different /rel/a.whl: SHA-256 of the copy is" in result.stderr
    assert "1 of 3 files as recorded (same size and SHA-256)" not in result.stderr
    assert "0 of 3 files as recorded (same size and SHA-256); 1 missing, 2 different" in (
        result.stderr
    )
    assert run.standin.counts["data.GET"] == 1  # only the file whose size matched
    assert not any(p.name.endswith(".part") for p in run.workspace.rglob("*"))


def test_an_interrupted_get_leaves_no_part_under_a_final_name(run: Runner) -> None:
    data = random.Random(5).randbytes(4 << 20)
    (run.collection.root / "s").mkdir()
    (run.collection.root / "s/big.bin").write_bytes(data)
    run.standin.add_fault("slow", route="data.GET", rate=500_000)
    proc = run.start("get", "/s/big.bin", "out", run.collection_id)
    run.wait_for("data.GET")
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    run.outputs.append(out + err)
    assert proc.returncode == 143, out + err
    assert tree(run.workspace / "out") == {}  # neither the file nor its temporary copy


def test_a_manifest_path_leaving_the_local_folder_fails_alone(run: Runner) -> None:
    """A manifest is input like a listing: the bad entry is never joined nor requested, and
    the good ones are still fetched (exit 1, not "invalid input")."""
    host = run.collection.https_server
    (run.collection.root / "rel").mkdir()
    (run.collection.root / "rel" / "ok.txt").write_bytes(b"ok")
    files = [
        {"destination": f"{host}/rel/%2E%2E/%2E%2E/evil", "size": 1, "status": "uploaded"},
        {"destination": f"{host}/rel/ok.txt", "size": 2, "status": "uploaded"},
    ]
    (run.workspace / "m.json").write_text(
        json.dumps({"collection_id": run.collection_id, "files": files})
    )
    result = run("get", "--from-manifest", "m.json", "back")
    assert result.returncode == 1, result.output
    assert "its path '/rel/../../evil' has a part that is empty" in result.stderr
    assert (run.workspace / "back" / "rel" / "ok.txt").read_bytes() == b"ok"
    assert not (run.workspace.parent / "evil").exists()
    assert not any("evil" in (e.get("path") or "") for e in run.standin.log)
    result = run("verify", "m.json")
    assert result.returncode == 1, result.output
    assert "unusable manifest file entry 1: its path '/rel/../../evil'" in result.stderr
    assert "1 of 1 files as recorded (same size)" in result.stderr


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("status", {"status": 503, "times": 2}),
        ("status", {"status": 429, "retry_after": 1}),
        ("endpoint_error", {"body": "text"}),
    ],
)
def test_transient_answers_to_a_download_are_retried(
    run: Runner, kind: str, options: dict[str, Any]
) -> None:
    (run.collection.root / "t").mkdir()
    (run.collection.root / "t/a.bin").write_bytes(b"a" * 5000)
    run.standin.add_fault(kind, route="data.GET", **options)
    result = run("get", "--retry-backoff", "0", "/t/a.bin", "out", run.collection_id)
    assert result.returncode == 0, result.output
    assert (run.workspace / "out/t/a.bin").read_bytes() == b"a" * 5000
    assert run.standin.counts["data.GET"] == 1 + int(options.get("times", 1))


def test_a_symlink_in_the_local_folder_is_not_written_through(run: Runner, tmp_path: Path) -> None:
    """A workspace can hold links (a checked-out repository's): a copy never lands outside
    the local folder through one."""
    publish(run, FILES)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (run.workspace / "back").mkdir()
    (run.workspace / "back/rel").symlink_to(elsewhere)
    result = run("get", "/rel/a.whl", "back", run.collection_id)
    assert result.returncode == 1, result.output
    assert "leads outside back through a symbolic link" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_an_identity_transfer_will_not_list_for(run: Runner) -> None:
    """Files named by path or by a manifest still come (a manifest's SHA-256 decides); a
    folder cannot be expanded nor a set verified, and that is said."""
    publish(run, FILES)
    run.collection.transfer_denied.add(client_username(run.client_id))
    result = run("get", "/rel/", "back", run.collection_id)
    assert result.returncode == 3, result.output
    assert "Globus Transfer refused to list /rel/ on collection" in result.stderr
    assert "its files are not fetched" in result.stderr
    assert run.standin.count("data.") == 0
    result = run("get", "/rel/a.whl", "back", run.collection_id)
    assert result.returncode == 0, result.output
    result = run("get", "--from-manifest", "m.json", "back2")
    assert result.returncode == 0, result.output
    assert tree(run.workspace / "back2") == {f"rel/{n}".encode(): d for n, d in FILES.items()}
    result = run("verify", "m.json")
    assert result.returncode == 3, result.output
    assert "verify compares each folder's listing with the manifest" in result.stderr


def test_a_folder_transfer_will_not_list_fails_alone(run: Runner) -> None:
    """Access on a guest collection is per path: Transfer refusing one folder (and the
    HTTPS server its files) says nothing of the others, which still come."""
    publish(run, FILES)
    run.remote_folder("/secret")
    run.collection.fs_path("/secret/s.txt").write_bytes(b"s")
    run.collection.acl[client_username(run.client_id)] = ["/rel"]
    result = run("get", "/secret/", "/rel/", "back", run.collection_id)
    assert result.returncode == 3, result.output
    assert "Globus Transfer refused to list /secret/ on collection" in result.stderr
    assert tree(run.workspace / "back") == {f"rel/{n}".encode(): d for n, d in FILES.items()}
    assert result.stderr.count("continuing over HTTPS there") == 1


def test_a_folder_named_without_its_slash_is_said_to_be_one(run: Runner) -> None:
    run.remote_folder("/builds/v1.2")
    run.collection.fs_path("/builds/v1.2/x").write_bytes(b"x")
    result = run("get", "/builds/v1.2", "back", run.collection_id)
    assert result.returncode == 2, result.output
    assert "'/builds/v1.2' (a folder: end it with '/' to fetch it)" in result.stderr
    assert run.standin.count("data.") == 0


def test_a_rerun_fetches_only_what_changed_and_says_what_it_replaced(run: Runner) -> None:
    """As rsync's quick check: a copy globusput made (size and listed time) stays; a local
    file that differs is replaced, and its line says so; --overwrite never keeps it."""
    publish(run, FILES)
    assert run("get", "/rel/", "back", run.collection_id).returncode == 0
    gets = run.standin.counts["data.GET"]
    result = run("get", "/rel/", "back", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.standin.counts["data.GET"] == gets  # nothing fetched again
    assert "0 fetched (0 bytes), 3 skipped (already here)" in result.output
    edited = run.workspace / "back/rel/docs/x/y.txt"
    edited.write_bytes(b"Y")  # same size, edited by the user
    result = run("get", "--overwrite", "never", "/rel/", "back", run.collection_id)
    assert result.returncode == 0, result.output
    assert edited.read_bytes() == b"Y" and "is already here (kept: --overwrite never)" in (
        result.stdout
    )
    result = run("get", "/rel/", "back", run.collection_id)
    assert result.returncode == 0, result.output
    assert edited.read_bytes() == b"y"
    assert "back/rel/docs/x/y.txt (1 bytes; replaced a different local file)" in result.stdout
    assert run.standin.counts["data.GET"] == gets + 1
    result = run("get", "--from-manifest", "m.json", "back")  # the SHA-256 decides
    assert result.returncode == 0 and "3 skipped (already here)" in result.output
