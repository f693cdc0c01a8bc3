"""Faults survived, and never a false success: each fault against the stand-in."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from typing import Any

import pytest

from .conftest import Runner

FAST = ("--retry-backoff", "0.05")
SIZE = 300_000


def payload(seed: str, size: int = SIZE) -> bytes:
    block = hashlib.sha256(seed.encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def leftovers(run: Runner) -> list[str]:
    return [p for p in run.tree() if ".globusput-" in p]


RECOVERED = [
    # (fault kind, options, PUT requests the upload needs)
    ("status", {"status": 503, "times": 3}, 4),
    ("status", {"status": 500}, 2),
    ("status", {"status": 502}, 2),
    ("status", {"status": 504}, 2),
    ("status", {"status": 408}, 2),
    ("status", {"status": 425}, 2),
    ("status", {"status": 429, "retry_after": 1}, 2),
    ("endpoint_error", {"times": 2}, 3),
    ("endpoint_error", {"body": "code"}, 2),
    ("endpoint_error", {"body": "text"}, 2),
    ("reset", {"after_bytes": 100_000}, 2),
    ("reset", {"after_bytes": 0}, 2),
    ("truncate", {"after_bytes": 1000}, 2),
]


@pytest.mark.parametrize("atomic", ["--atomic", "--no-atomic"])
@pytest.mark.parametrize(("kind", "options", "puts"), RECOVERED)
def test_transient_faults_are_retried_to_an_identical_copy(
    run: Runner, kind: str, options: dict[str, Any], puts: int, atomic: str
) -> None:
    data = payload(kind)
    run.write("big.bin", data)
    run.remote_folder("/f")  # PUT counts below are the fault's alone, no folder check
    run.standin.add_fault(kind, **options)
    started = time.monotonic()
    result = run(*FAST, atomic, "--manifest", "m.json", "big.bin", "/f/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/f/big.bin") == data
    assert leftovers(run) == []
    assert run.standin.counts["data.PUT"] == puts
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert manifest["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    if options.get("retry_after"):
        assert time.monotonic() - started >= options["retry_after"]


def test_stored_despite_a_timeout_is_not_sent_again(run: Runner) -> None:
    data = payload("slow answer")
    run.write("a.bin", data)
    run.remote_folder("/t")
    run.standin.add_fault("delay", seconds=3)
    result = run(*FAST, "--timeout", "1", "--no-atomic", "a.bin", "/t/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/t/a.bin") == data
    assert run.standin.counts["data.PUT"] == 1


def test_reset_after_the_whole_body_counts_when_stored(run: Runner) -> None:
    data = payload("all sent")
    run.write("a.bin", data)
    run.remote_folder("/t")
    run.standin.add_fault("reset", after_bytes=len(data))
    result = run(*FAST, "--no-atomic", "a.bin", "/t/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.stored("/t/a.bin") == data
    assert run.standin.counts["data.PUT"] == 1


@pytest.mark.parametrize("status", [401, 403])
def test_token_expiring_mid_run_is_renewed(run: Runner, status: int) -> None:
    """Whether the HTTPS server answers an expired token 401 or 403 is undocumented."""
    run.standin.expired_token_status = status
    for n in range(3):
        run.write(f"e/{n}.txt", str(n))
    run.standin.add_fault("expire", path="/e/1.txt")
    result = run("--concurrency", "1", "--no-atomic", "e/*.txt", "/e/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {f"/e/{n}.txt": str(n).encode() for n in range(3)}
    assert run.standin.counts["auth.token"] == 2  # the first grant and one renewal


PERMANENT = [
    ("html", {}, 3, "HTML page"),
    ("status", {"status": 302}, 3, "redirected (302)"),
    ("status", {"status": 403, "times": 99}, 3, "needs write access"),
    ("status", {"status": 400}, 1, "answered 400"),
    ("status", {"status": 503, "times": 99}, 1, "gave up after 3 attempts"),
]


@pytest.mark.parametrize(("kind", "options", "code", "message"), PERMANENT)
def test_permanent_failures_are_never_success(
    run: Runner, kind: str, options: dict[str, int], code: int, message: str
) -> None:
    run.write("p/a.txt", "a")
    run.write("p/b.txt", "b")
    run.remote_folder("/p")
    run.standin.add_fault(kind, path="/p/*a.txt*", **options)
    result = run(
        *FAST, "--retries", "2", "--manifest", "m.json", "p/*.txt", "/p/", run.collection_id
    )
    assert result.returncode == code, result.output
    assert message in result.stderr
    assert "p/a.txt" in result.stderr
    assert run.tree() == {"/p/b.txt": b"b"}  # the other file still went, nothing else stays
    files = {e["source"]: e for e in json.loads((run.workspace / "m.json").read_text())["files"]}
    assert files["p/a.txt"]["status"] == "failed" and message in files["p/a.txt"]["error"]
    assert files["p/b.txt"]["status"] == "uploaded"


def test_token_refused_twice_fails_with_exit_3(run: Runner) -> None:
    run.write("a.txt")
    run.standin.add_fault("status", status=401, times=5)
    result = run(*FAST, "a.txt", "/u/", run.collection_id)
    assert result.returncode == 3
    assert "permission denied (401)" in result.stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.parametrize("atomic", ["--atomic", "--no-atomic"])
def test_interruption_stops_cleanly(run: Runner, signum: int, code: int, atomic: str) -> None:
    (run.collection.root / "i").mkdir()
    (run.collection.root / "i" / "big.bin").write_bytes(b"previous version")
    run.write("big.bin", payload("interrupt", 4_000_000))
    run.write("later.bin", b"later")
    run.standin.add_fault("slow", rate=200_000, path="*big.bin*")
    proc = run.start(
        atomic,
        "--concurrency",
        "1",
        "--manifest",
        "m.json",
        "big.bin",
        "later.bin",
        "/i/",
        run.collection_id,
    )
    run.wait_for("data.PUT")
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    run.outputs.append(out + err)
    assert proc.returncode == code, out + err
    assert time.monotonic() - sent < 5
    time.sleep(0.5)
    stored = run.tree()
    assert leftovers(run) == []
    # the smaller file of the folder goes first (it checks the folder), so it is complete
    if atomic == "--atomic":
        assert stored == {"/i/big.bin": b"previous version", "/i/later.bin": b"later"}
    else:
        assert stored == {"/i/later.bin": b"later"}  # the truncated big.bin was removed
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert [f["status"] for f in manifest["files"]] == ["failed", "uploaded"]
    assert "interrupted" in manifest["files"][0]["error"]


def test_file_growing_during_upload_fails_and_leaves_nothing(run: Runner) -> None:
    path = run.write("grow.bin", payload("grow", 1_000_000))
    run.remote_folder("/g")
    run.standin.add_fault("slow", rate=1_000_000)
    proc = run.start("--no-atomic", "grow.bin", "/g/", run.collection_id)
    run.wait_for("data.PUT")
    time.sleep(0.3)
    with open(path, "ab") as stream:
        stream.write(b"more")
    out, err = proc.communicate(timeout=60)
    run.outputs.append(out + err)
    assert proc.returncode == 1, out + err
    assert "changed while uploading" in err
    assert run.tree() == {}


def test_overwrite_never_and_changed(run: Runner) -> None:
    run.write("o/same.txt", "same")
    run.write("o/new.txt", "new")
    run.write("o/grown.txt", "grown!")
    root = run.collection.root / "o"
    root.mkdir()
    (root / "same.txt").write_text("same")
    (root / "grown.txt").write_text("grown")
    old = time.time() - 3600
    os.utime(run.workspace / "o/same.txt", (old, old))
    result = run("--overwrite", "changed", "o/*.txt", "/o/", run.collection_id)
    assert result.returncode == 0, result.output
    assert "skipped o/same.txt" in result.stdout
    assert run.stored("/o/grown.txt") == b"grown!" and run.stored("/o/new.txt") == b"new"
    (root / "new.txt").write_text("remote copy")
    result = run("--overwrite", "never", "o/*.txt", "/o/", run.collection_id)
    assert result.returncode == 0 and result.stdout.count("\nskipped ") == 2
    assert result.stdout.startswith("skipped ") and "3 skipped" in result.stdout
    assert run.stored("/o/new.txt") == b"remote copy"


@pytest.mark.parametrize("answer", ["replaces", "exists", "failed", "conflict"])
def test_rename_onto_an_old_file_replaces_it_whatever_transfer_answers(
    run: Runner, answer: str
) -> None:
    run.collection.rename_onto_existing = answer
    (run.collection.root / "r").mkdir()
    (run.collection.root / "r" / "a.txt").write_text("old")
    run.write("a.txt", "new")
    result = run("--atomic", "a.txt", "/r/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {"/r/a.txt": b"new"}
    refused = answer != "replaces"
    assert run.standin.count("transfer.rename") == 1 + refused
    assert run.standin.count("data.DELETE") == run.standin.count("transfer.stat") == refused


@pytest.mark.parametrize("answer", ["exists", "failed", "conflict"])
def test_rename_onto_a_folder_fails_and_leaves_no_temporary_file(run: Runner, answer: str) -> None:
    run.collection.rename_onto_existing = answer
    (run.collection.root / "r" / "a.txt").mkdir(parents=True)
    run.write("a.txt", "new")
    result = run("--atomic", "a.txt", "/r/", run.collection_id)
    assert result.returncode == 1, result.output
    assert "/r/a.txt on the collection is a folder, not a file" in result.stderr
    assert run.tree() == {} and sorted(p.name for p in (run.collection.root / "r").iterdir()) == [
        "a.txt"
    ]
    assert run.standin.count("data.DELETE") == 1  # the temporary file only


def test_an_unreachable_globus_transfer_is_named_after_a_few_tries(run: Runner) -> None:
    """A Transfer that hangs up on every connection is tried five times, not the ten meant for
    throttling (those took about four minutes)."""
    import socket
    import threading

    accepted: list[int] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    run.write("a.txt", "a")
    try:
        result = run(
            "a.txt",
            "/u/",
            run.collection_id,
            env={"GLOBUS_SDK_SERVICE_URL_TRANSFER": f"https://127.0.0.1:{port}/"},
        )
    finally:
        listener.close()
    assert result.returncode == 1, result.output
    assert "cannot reach Globus Transfer" in result.stderr
    assert len(accepted) == 5
    assert run.standin.count("data.") == 0 and run.tree() == {}


def test_an_unreachable_globus_auth_is_named(run: Runner) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    run.write("a.txt", "a")
    result = run(
        "--manifest",
        "m.json",
        "a.txt",
        "/u/",
        run.collection_id,
        env={"GLOBUS_SDK_SERVICE_URL_AUTH": f"https://127.0.0.1:{port}/"},
    )
    assert result.returncode == 1, result.output
    assert "cannot reach Globus Auth" in result.stderr
    assert "nothing uploaded: stopped before its only file" in result.stderr
    assert run.standin.count() == 0 and run.tree() == {}
    manifest = json.loads((run.workspace / "m.json").read_text())
    assert manifest["files"][0]["status"] == "failed"


@pytest.mark.parametrize("route", ["transfer.mkdir", "transfer.stat", "transfer.rename"])
def test_transfer_5xx_on_an_operation_is_retried(run: Runner, route: str) -> None:
    run.write("a.txt", "a")
    if route != "transfer.mkdir":
        run.remote_folder("/s")
    run.standin.add_fault("status", route=route, status=503, times=2)
    destination = {"transfer.mkdir": "/new/", "transfer.stat": "/s/a.txt"}.get(route, "/s/")
    extra = ["--atomic"] if route == "transfer.rename" else []
    result = run(*FAST, *extra, "a.txt", destination, run.collection_id)
    assert result.returncode == 0, result.output
    stored = "/new/a.txt" if route == "transfer.mkdir" else "/s/a.txt"
    assert run.tree() == {stored: b"a"}
    assert run.standin.counts[route] >= 3  # two refusals, then the call that worked


@pytest.mark.parametrize("verify", [True, False], ids=["verify-size", "no-verify-size"])
def test_a_short_store_is_caught_only_while_sizes_are_verified(run: Runner, verify: bool) -> None:
    """A server that keeps part of the body yet answers 200: the size check after the PUT
    catches it; ``--no-verify-size`` gives up that check (no request for it) and with it the
    guarantee, which is what the option's help says."""
    data = payload("short")
    run.write("v.bin", data)
    run.remote_folder("/v")
    run.standin.add_fault("truncate", after_bytes=1000)
    flags = () if verify else ("--no-verify-size",)
    result = run(*FAST, *flags, "--no-atomic", "v.bin", "/v/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.standin.counts["data.HEAD"] == (2 if verify else 0)
    assert run.standin.counts["data.PUT"] == (2 if verify else 1)
    assert run.stored("/v/v.bin") == (data if verify else data[:1000])


def test_a_server_that_stops_reading_for_a_while_does_not_fail_the_upload(run: Runner) -> None:
    """Storage flushing: the server stops reading the body for 12 s, longer than the connect
    timeout (10 s), which urllib3 applies while a body is sent; the send waits the read
    timeout instead, so the file goes in one PUT."""
    data = payload("stall", 24 << 20)  # more than the loopback's socket buffers hold
    run.write("big.bin", data)
    run.remote_folder("/s")
    run.standin.add_fault("stall", after_bytes=1 << 20, seconds=12)
    result = run("--timeout", "30", "--no-atomic", "big.bin", "/s/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.standin.counts["data.PUT"] == 1
    assert run.stored("/s/big.bin") == data
