"""globusput end to end: the installed program against the stand-in over TLS."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import pytest

from globusput.testing import client_username

from .conftest import Runner


def test_seed_form_uploads_one_file_into_a_folder(run: Runner) -> None:
    run.write("build/science.json", '{"answer": 42}')
    (run.collection.root / "data").mkdir()
    result = run("build/science.json", "/data/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/data/science.json") == b'{"answer": 42}'
    url = f"{run.collection.https_server}/data/science.json"
    assert f"uploaded build/science.json -> {url} (14 bytes)" in result.stdout
    assert "1 uploaded" in result.stdout


MATRIX = [
    ("/data/", "/data/science.json"),
    ("/data/isawesome.json", "/data/isawesome.json"),
    ("data/", "/data/science.json"),
    ("data/isawesome.json", "/data/isawesome.json"),
    ("{B}/data/", "/data/science.json"),
    ("{B}/data/isawesome.json", "/data/isawesome.json"),
]


@pytest.mark.parametrize(("destination", "stored"), MATRIX)
def test_destination_matrix(run: Runner, destination: str, stored: str) -> None:
    run.write("science.json", "science")
    (run.collection.root / "data").mkdir()
    destination = destination.replace("{B}", str(run.collection.https_server))
    result = run("science.json", destination, run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {stored: b"science"}


@pytest.mark.parametrize("destination", ["data", "{B}/data"])
def test_file_destination_onto_existing_folder_fails_and_suggests_slash(
    run: Runner, destination: str
) -> None:
    run.write("science.json", "science")
    (run.collection.root / "data").mkdir()
    destination = destination.replace("{B}", str(run.collection.https_server))
    result = run("science.json", destination, run.collection_id)
    assert result.returncode == 2
    assert "existing folder" in result.stderr and f"'{destination}/'" in result.stderr
    assert run.standin.count("data.") == 0
    assert run.tree() == {}


def test_issue_example_wheels_and_html_tree(run: Runner) -> None:
    run.write("dist/pkg-1.0-py3-none-any.whl", b"wheel-a")
    run.write("dist/extra/pkg_ext-1.0-cp312-linux.whl", b"wheel-b")
    run.write("dist/pkg-1.0.tar.gz", b"sdist")
    run.write("docs/_build/html/index.html", "<html>i</html>")
    run.write("docs/_build/html/_static/site.css", "body{}")
    run.write("docs/_build/html/.buildinfo", "hidden")
    result = run("dist/**/*.whl", "docs/_build/html", "/builds/v1.2/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {
        "/builds/v1.2/pkg-1.0-py3-none-any.whl": b"wheel-a",
        "/builds/v1.2/extra/pkg_ext-1.0-cp312-linux.whl": b"wheel-b",
        "/builds/v1.2/html/index.html": b"<html>i</html>",
        "/builds/v1.2/html/_static/site.css": b"body{}",
    }
    # one token request, one endpoint look-up; every missing folder made once, parents first,
    # none refused (a parent not known is looked up, once); one failed PUT per folder
    assert run.standin.counts["auth.token"] == 1
    assert run.standin.counts["transfer.endpoint"] == 1
    folders = {
        "/builds",
        "/builds/v1.2",
        "/builds/v1.2/extra",
        "/builds/v1.2/html",
        "/builds/v1.2/html/_static",
    }
    mkdirs = [e["target"] for e in run.standin.log if e["route"] == "transfer.mkdir"]
    assert sorted(mkdirs) == sorted(folders), mkdirs
    assert run.standin.counts["data.PUT"] == 4 + 4
    stats = run.standin.counts["transfer.stat"]
    assert stats <= len(folders) and run.standin.count("transfer.") == 1 + 5 + stats


def test_environment_only_run_through_entrypoint(run: Runner) -> None:
    run.write("out/a.txt", "a")
    run.write("out/b.log", "b")
    run.write("out/keep/c.txt", "c")
    paths = "# artifacts\nout/**/*\n\n!**/*.log\n"
    result = run(
        entrypoint=True,
        env={
            "GLOBUSPUT_PATHS": paths,
            "GLOBUSPUT_DESTINATION": "/ci/",
            "GLOBUS_COLLECTION_ID": run.collection_id,
            "GLOBUSPUT_CONCURRENCY": "2",
        },
    )
    assert result.returncode == 0, result.output
    assert run.tree() == {"/ci/a.txt": b"a", "/ci/keep/c.txt": b"c"}


def test_cli_overrides_environment(run: Runner) -> None:
    run.write("a.txt", "a")
    result = run(
        "a.txt",
        "/cli/",
        run.collection_id,
        env={"GLOBUSPUT_DESTINATION": "/env/", "GLOBUSPUT_PATHS": "missing"},
    )
    assert result.returncode == 0, result.output
    assert run.tree() == {"/cli/a.txt": b"a"}


def test_layouts_base_dir_and_hidden(run: Runner) -> None:
    run.write("logs/x/run.log", "1")
    run.write("logs/.cache/secret.log", "hidden")
    run.write(".env", "named-hidden")
    result = run("**/*.log", ".env", "/l/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {"/l/logs/x/run.log": b"1", "/l/.env": b"named-hidden"}

    run.standin.reset()
    result = run(
        "--include-hidden", "--base-dir", "logs", "logs/**/*.log", "/b/", run.collection_id
    )
    assert result.returncode == 0, result.output
    assert run.tree() == {"/b/x/run.log": b"1", "/b/.cache/secret.log": b"hidden"}


def test_collisions_are_refused_before_anything_is_sent(run: Runner) -> None:
    run.write("a/report.txt", "1")
    run.write("b/report.txt", "2")
    result = run("a/*.txt", "b/*.txt", "/r/", run.collection_id)
    assert result.returncode == 2
    assert "would both be stored as /r/report.txt" in result.stderr
    assert run.sent_nothing()


def test_several_files_to_a_file_destination_is_refused(run: Runner) -> None:
    run.write("a.txt")
    run.write("b.txt")
    result = run("*.txt", "/one.txt", run.collection_id)
    assert result.returncode == 2
    assert "end it with '/'" in result.stderr
    assert run.sent_nothing()


def test_special_names_arrive_exactly(run: Runner) -> None:
    names = ["with space.txt", "hash#tag.txt", "what?.txt", "100%.txt", "naïve-日本.txt"]
    for name in names:
        run.write(f"odd/{name}", name)
    result = run("odd", "/names/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {f"/names/odd/{n}": n.encode() for n in names}
    assert "what%3F.txt" in result.stdout and "hash%23tag.txt" in result.stdout


def test_manifest_records_what_the_server_stored(run: Runner) -> None:
    run.write("m/one.bin", b"\x00" * 1000)
    run.write("m/two.bin", b"two")
    result = run("--manifest", "out/manifest.json", "m/*.bin", "/m/", run.collection_id)
    assert result.returncode == 0, result.output
    manifest = json.loads((run.workspace / "out/manifest.json").read_text())
    assert manifest["collection_id"] == run.collection_id
    assert manifest["destination"] == "/m/"
    assert (manifest["uploaded"], manifest["failed"], manifest["bytes"]) == (2, 0, 1003)
    for entry in manifest["files"]:
        stored = run.stored(entry["destination"].split(str(run.collection.https_server))[1])
        assert entry["sha256"] == hashlib.sha256(stored).hexdigest()
        assert entry["status"] == "uploaded" and entry["error"] is None
        assert entry["size"] == len(stored)


def test_manifest_is_written_when_files_fail(run: Runner) -> None:
    run.write("f/ok.txt", "ok")
    run.write("f/denied.txt", "no")
    run.standin.add_fault("status", path="/f/*denied*", status=400)
    result = run("--manifest", "m.json", "--no-atomic", "f/*.txt", "/f/", run.collection_id)
    assert result.returncode == 1
    manifest = json.loads((run.workspace / "m.json").read_text())
    statuses = {Path(e["source"]).name: (e["status"], e["error"]) for e in manifest["files"]}
    assert statuses["ok.txt"] == ("uploaded", None)
    assert statuses["denied.txt"][0] == "failed" and "400" in statuses["denied.txt"][1]
    assert run.tree() == {"/f/ok.txt": b"ok"}


def test_dry_run_sends_no_data(run: Runner) -> None:
    run.write("d/a.txt", "a")
    result = run("--dry-run", "--manifest", "plan.json", "d/a.txt", "/dry/", run.collection_id)
    assert result.returncode == 0, result.output
    assert f"would upload d/a.txt -> {run.collection.https_server}/dry/a.txt" in result.stdout
    assert run.tree() == {}
    assert run.standin.count("data.") == 0 and run.standin.counts["transfer.mkdir"] == 0
    plan = json.loads((run.workspace / "plan.json").read_text())
    assert plan["files"][0]["status"] == "planned"


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--whole-folder", "d/a.txt", "/rel/"], 2, "/rel/ already exists on the collection"),
        (["d/a.txt", "/f.txt/sub/"], 1, "cannot create /f.txt/sub/: /f.txt on the collection is a"),
        (["--no-mkdir", "d/a.txt", "/new/"], 1, "the folder /new/ is missing, and --no-mkdir"),
    ],
    ids=["whole-folder-exists", "file-in-the-way", "no-mkdir-missing"],
)
def test_a_dry_run_fails_where_the_run_would(
    run: Runner, args: list[str], code: int, words: str
) -> None:
    """Every check a run makes before its first byte, read-only: a rehearsal that passes
    is a run that gets going."""
    run.write("d/a.txt", "a")
    run.remote_folder("/rel")
    run.collection.fs_path("/f.txt").write_bytes(b"x")
    result = run("--dry-run", *args, run.collection_id)
    assert result.returncode == code, result.output
    assert words in result.stderr
    assert run.standin.count("data.") == 0
    assert run.standin.counts["transfer.mkdir"] == run.standin.counts["transfer.rename"] == 0
    assert run.tree() == {"/f.txt": b"x"}


def test_a_misspelled_dry_run_stops_before_anything_is_sent(run: Runner) -> None:
    """GLOBUSPUT_DRYRUN=true used to upload for real; other typos are warned about."""
    run.write("d/a.txt", "a")
    env = {"GLOBUSPUT_DRYRUN": "true", "GLOBUSPUT_CONCURENCY": "8"}
    result = run("d/a.txt", "/dry/", run.collection_id, env=env)
    assert result.returncode == 2, result.output
    assert "GLOBUSPUT_DRYRUN is not a setting: did you mean GLOBUSPUT_DRY_RUN?" in result.stderr
    assert "GLOBUSPUT_CONCURENCY is not a setting and was ignored: did you mean" in result.stderr
    assert run.standin.count() == 0 and run.tree() == {}
    result = run("d/a.txt", "/dry/", run.collection_id, env={"GLOBUSPUT_CONCURENCY": "8"})
    assert result.returncode == 0, result.output
    assert "did you mean GLOBUSPUT_CONCURRENCY?" in result.stderr


@pytest.mark.parametrize("policy", ["never", "changed"])
def test_dry_run_honours_overwrite(run: Runner, policy: str) -> None:
    run.write("d/a.txt", "a")
    run.write("d/b.txt", "b")
    assert run("d/a.txt", "/dry/", run.collection_id).returncode == 0  # a.txt is there
    run.standin.counts.clear()
    result = run("--dry-run", "--overwrite", policy, "d/*.txt", "/dry/", run.collection_id)
    assert result.returncode == 0, result.output
    assert "would skip d/a.txt: already on the collection" in result.stdout
    assert "would upload d/b.txt" in result.stdout
    assert run.tree() == {"/dry/a.txt": b"a"}
    assert run.standin.count("data.") == 0 and run.standin.counts["transfer.ls"] == 1


def test_dry_run_without_credentials_is_a_local_plan(run: Runner) -> None:
    run.write("d/a.txt", "a")
    result = run(
        "--dry-run",
        "d/a.txt",
        "/dry/",
        run.collection_id,
        drop=("GLOBUS_CLIENT_ID", "GLOBUS_CLIENT_SECRET"),
    )
    assert result.returncode == 0, result.output
    assert "would upload d/a.txt -> /dry/a.txt" in result.stdout
    assert "Globus was not contacted" in result.stderr
    assert run.standin.count() == 0


def test_a_secret_with_a_trailing_newline_is_trimmed_with_a_warning(run: Runner) -> None:
    run.write("a.txt", "a")
    result = run(
        "a.txt", "/t/", run.collection_id, env={"GLOBUS_CLIENT_SECRET": run.client_secret + "\n"}
    )
    assert result.returncode == 0, result.output
    assert "GLOBUS_CLIENT_SECRET has spaces or line breaks around it" in result.stderr


def test_a_client_config_file_with_a_bom_is_read(run: Runner) -> None:
    run.write("a.txt", "a")
    config = {"client_id": run.client_id, "client_secret": run.client_secret}
    path = run.write("client.json", b"\xef\xbb\xbf" + json.dumps(config).encode())
    path.chmod(0o600)
    result = run("-c", "client.json", "a.txt", "/bom/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/bom/a.txt") == b"a"


def test_a_failure_before_the_first_file_is_not_counted_as_failed_files(run: Runner) -> None:
    run.write("a.txt", "a")
    run.collection.entity_type = "GCSv5_endpoint"
    result = run("a.txt", "/x/", run.collection_id)
    assert result.returncode == 2, result.output
    assert "failed" not in result.output and "nothing uploaded" in result.stderr


def test_client_config_file(run: Runner) -> None:
    run.write("a.txt", "a")
    config = run.write(
        "client.json", json.dumps({"client_id": run.client_id, "client_secret": run.client_secret})
    )
    config.chmod(0o600)
    result = run(
        "-c",
        "client.json",
        "a.txt",
        "/c/",
        run.collection_id,
        drop=("GLOBUS_CLIENT_ID", "GLOBUS_CLIENT_SECRET"),
    )
    assert result.returncode == 0, result.output
    assert "readable by other users" not in result.stderr
    config.chmod(0o644)
    result = run("-c", "client.json", "a.txt", "/c/", run.collection_id)
    assert result.returncode == 0 and "readable by other users" in result.stderr


def test_no_mkdir_into_missing_folder_fails_clearly(run: Runner) -> None:
    run.write("a.txt", "a")
    result = run("--no-mkdir", "--no-atomic", "a.txt", "/missing/", run.collection_id)
    assert result.returncode == 1
    assert "folder /missing/ is missing" in result.stderr
    assert run.standin.counts["transfer.mkdir"] == 0


def test_transfer_refusing_folder_operations_warns_once_and_uploads(run: Runner) -> None:
    run.write("t/a.txt", "a")
    run.write("t/b.txt", "b")
    (run.collection.root / "existing").mkdir()
    run.collection.transfer_denied.add(client_username(run.client_id))
    result = run("t/*.txt", "/existing/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {"/existing/a.txt": b"a", "/existing/b.txt": b"b"}
    assert run.standin.count("transfer.") == 1  # the folder existed: no operation was needed
    # into a missing folder: the refusal is said once, and each file says what to do
    result = run("t/*.txt", "/existing/new/", run.collection_id)
    assert result.returncode == 1, result.output
    assert result.stderr.count("Globus Transfer refused to create /existing/new") == 1
    assert result.stderr.count("folder /existing/new/ is missing") == 2
    assert set(run.tree()) == {"/existing/a.txt", "/existing/b.txt"}


# -- errors with their exit codes ---------------------------------------------------------


def test_wrong_secret_is_an_auth_failure(run: Runner) -> None:
    run.write("a.txt")
    result = run("a.txt", "/x/", run.collection_id, env={"GLOBUS_CLIENT_SECRET": "wrong-secret"})
    assert result.returncode == 3
    assert f"rejected client {run.client_id}" in result.stderr
    assert "wrong-secret" not in result.output
    assert run.standin.count("data.") == 0


def test_identity_without_access_is_named(run: Runner) -> None:
    run.write("a.txt")
    run.collection.acl.clear()
    run.collection.acl[client_username(run.client_id)] = ["/allowed"]
    result = run("--no-atomic", "a.txt", "/allowed/../x/", run.collection_id)
    assert result.returncode == 2  # '..' refused
    (run.collection.root / "other").mkdir()
    result = run("--no-atomic", "a.txt", "/other/", run.collection_id)
    assert result.returncode == 3
    assert f"{run.client_id}@clients.auth.globus.org needs write access to /other/" in result.stderr


def test_unknown_collection(run: Runner) -> None:
    run.write("a.txt")
    result = run("a.txt", "/x/", "00000000-0000-4000-8000-000000000000")
    assert result.returncode == 2
    assert "GLOBUS_COLLECTION_ID" in result.stderr


def test_no_credentials_says_which_variables(run: Runner) -> None:
    run.write("a.txt")
    result = run(
        "a.txt", "/x/", run.collection_id, drop=("GLOBUS_CLIENT_ID", "GLOBUS_CLIENT_SECRET")
    )
    assert result.returncode == 2
    assert "GLOBUS_CLIENT_ID" in result.stderr and "GLOBUS_CLIENT_SECRET" in result.stderr
    assert run.standin.count() == 0


def test_invalid_settings_are_reported_together(run: Runner) -> None:
    result = run(
        "--concurrency",
        "0",
        "a.txt",
        "/x/",
        "not-a-uuid",
        env={"GLOBUSPUT_IF_NO_FILES_FOUND": "sometimes"},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert any("GLOBUSPUT_CONCURRENCY (--concurrency)" in line for line in lines)
    assert any("GLOBUS_COLLECTION_ID" in line for line in lines)
    assert any("GLOBUSPUT_IF_NO_FILES_FOUND" in line for line in lines)
    assert "Traceback" not in result.output
    assert run.standin.count() == 0


def test_url_destination_on_another_host_gets_no_token(run: Runner) -> None:
    other = run.standin.add_collection(grant=[run.client_id])
    try:
        run.write("a.txt")
        result = run("a.txt", f"{other.https_server}/steal/", run.collection_id)
        assert result.returncode == 2
        assert "not on this collection's HTTPS server" in result.stderr
        assert not [e for e in run.standin.log if e.get("collection") == other.id]
        assert run.standin.count("data.") == 0
    finally:
        other.server.shutdown()  # type: ignore[union-attr]
        del run.standin.collections[other.id]


@pytest.mark.parametrize(
    "destination", ["http://localhost/x/", "ftp://x/", "/a/%2e%2e/b/", "/a/../b/"]
)
def test_unsafe_destinations_send_nothing(run: Runner, destination: str) -> None:
    run.write("a.txt")
    if "%2e" in destination:
        destination = f"{run.collection.https_server}{destination}"
    result = run("a.txt", destination, run.collection_id)
    assert result.returncode == 2, result.output
    assert result.stderr.startswith("error: destination ")
    assert run.tree() == {}
    # a URL's host is checked before any token is asked for; a path while the first may be
    assert run.standin.count() == 0 if "://" in destination else run.sent_nothing()


def test_if_no_files_found(run: Runner) -> None:
    run.write("a.txt", "a")
    result = run("a.txt", "nothing-*.zip", "/n/", run.collection_id)
    assert result.returncode == 2 and "no files match 'nothing-*.zip'" in result.stderr
    assert run.sent_nothing()
    result = run("--if-no-files-found", "warn", "a.txt", "nothing-*.zip", "/n/", run.collection_id)
    assert result.returncode == 0 and "warning: no files match" in result.stderr
    assert run.tree() == {"/n/a.txt": b"a"}
    result = run("--if-no-files-found", "ignore", "nothing-*.zip", "/n/", run.collection_id)
    assert result.returncode == 0 and result.stderr == ""


def test_verbose_shows_requests_but_never_tokens(run: Runner) -> None:
    run.write("a.txt", "a")
    result = run("-v", "a.txt", "/v/", run.collection_id)
    assert result.returncode == 0, result.output
    # every request: Auth, Transfer, HTTPS, with method, URL, status and time
    log = result.stderr
    assert re.search(r"Auth: POST https://\S+/v2/oauth2/token -> 200 \(\d+\.\d\ds\)", log)
    assert re.search(r"Transfer: GET https://\S+/v0.10/endpoint/\S+ -> 200 \(", log)
    assert re.search(r"HTTPS: PUT https://localhost:\d+/v/a.txt -> \d+ \(", log)
    assert re.search(r"HTTPS: HEAD https://localhost:\d+/v/a.txt -> 200 \(", log)
    assert "Bearer" not in log and "Authorization" not in log
    # the run fixture also scans this output for the secret and every issued token


def test_manifest_is_written_when_the_run_fails_before_uploading(run: Runner) -> None:
    run.write("a.txt", "a")
    result = run(
        "--manifest",
        "m.json",
        "a.txt",
        "/x/",
        run.collection_id,
        env={"GLOBUS_CLIENT_SECRET": "wrong-secret"},
    )
    assert result.returncode == 3
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert manifest["failed"] == 1 and manifest["uploaded"] == 0
    assert manifest["files"][0]["status"] == "failed"
    assert "rejected client" in manifest["files"][0]["error"]


def test_a_destination_folder_that_is_a_file_says_so(run: Runner) -> None:
    run.remote_folder("/d")
    (run.collection.root / "d" / "report.txt").write_text("already a file")
    run.write("a.txt", "a")
    result = run("a.txt", "/d/report.txt/", run.collection_id)
    assert result.returncode == 1, result.output
    assert "/d/report.txt on the collection is a file, not a folder" in result.stderr
    assert run.stored("/d/report.txt") == b"already a file"


@pytest.mark.parametrize("fault", [None, "reset"])
def test_big_files_hashed_on_a_thread_match_the_manifest(run: Runner, fault: str | None) -> None:
    """Files from 8 MiB are hashed on a helper thread; the manifest's SHA-256 is still that of
    the bytes stored, in order, also when a reset mid-body made the PUT start again."""
    data = random.Random(8).randbytes((9 << 20) + 123)
    run.write("big.bin", data)
    run.remote_folder("/h")
    if fault:
        run.standin.add_fault(fault, after_bytes=5 << 20)
    result = run("--manifest", "m.json", "--no-atomic", "big.bin", "/h/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/h/big.bin") == data
    assert run.standin.counts["data.PUT"] == (2 if fault else 1)
    (entry,) = json.loads((run.workspace / "m.json").read_text())["files"]
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_destination_below_a_file_says_the_file_is_in_the_way(run: Runner) -> None:
    run.collection.fs_path("/f.txt").write_bytes(b"x")
    run.write("a.txt", "a")
    result = run("a.txt", "/f.txt/sub/", run.collection_id)
    assert result.returncode == 1, result.output
    assert "/f.txt on the collection is a file, not a folder" in result.stderr
    assert "\\n" not in result.stderr  # never Transfer's raw text
    assert run.tree() == {"/f.txt": b"x"}
