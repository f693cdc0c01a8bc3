#!/usr/bin/env python3
"""What a hostile collection costs a runner: memory, disk and time, case by case.

    python bench/hostile.py [--globusput PATH] [--limit S]

The stand-in's Transfer answers the listings (lying where a case says so); the collection's
HTTPS server is a small hostile one here: a 404 with a 1 GiB body, a 1 MiB gzip body that
decodes to 1 GiB, 200 MiB for a file listed as 6 bytes, a byte every 3 s. Each case runs
``globusput get`` as a subprocess under ``/usr/bin/time`` (peak memory), with a wall-clock
limit; ``--globusput`` picks the program, so an older tree's can be measured side by side.
The figures are in ``bench/hostile.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.server
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from globusput.testing import StandIn  # noqa: E402

GIB = 1 << 30
BOMB = gzip.compress(b"\0" * GIB, compresslevel=9)  # about 1 MiB on the wire


class Hostile(http.server.BaseHTTPRequestHandler):
    """Answers every GET by the first folder of its path: the case."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        case = self.path.split("/")[1]
        with contextlib.suppress(OSError):  # the client hung up: what it is meant to do
            getattr(self, f"_{case}")()

    def _endless(self, status: int, length: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(length), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        block = b"\0" * (1 << 20)
        for _ in range(length >> 20):
            self.wfile.write(block)

    def _error(self) -> None:  # case 4: an error body of 1 GiB
        self._endless(404, GIB, {"Content-Type": "text/plain"})

    def _gzip(self) -> None:  # case 4: 1 MiB that decodes to 1 GiB
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(BOMB)))
        self.end_headers()
        self.wfile.write(BOMB)

    def _listed(self) -> None:  # case 5: listed as 6 bytes, 200 MiB sent
        self._endless(200, 200 << 20, {"Content-Type": "application/octet-stream"})

    def _trickle(self) -> None:  # case 7: a byte every 3 s
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        for _ in range(100):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(3)


TRICKLE = "100 bytes, one every 3 s (--timeout 5 --retries 1)"
CASES = [
    ("4", "404 with a 1 GiB body", "/error/f.bin", []),
    ("4", "gzip body: 1 MiB decoding to 1 GiB", "/gzip/f.bin", []),
    ("5", "file listed as 6 bytes, 200 MiB sent", "/listed/f.bin", []),
    ("6", "a listing that contains itself", "/loop/", []),
    ("7", TRICKLE, "/trickle/f.bin", ["--timeout", "5", "--retries", "1"]),
]


def measure(
    program: str, env: dict[str, str], args: list[str], collection: str, work: Path, limit: float
) -> str:
    """Wall time, peak memory, bytes left in the local folder, and the run's last line."""
    back = work / "back"
    shutil.rmtree(back, ignore_errors=True)
    timing = work / "time.txt"
    started = time.monotonic()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-o", str(timing), "-f", "%M", program, "get", *args, str(back),
         collection],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # killed as a group: time(1) and the program it runs
    )  # fmt: skip
    try:
        _, err = proc.communicate(timeout=limit)
        wall = f"{time.monotonic() - started:.1f} s"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        wall = f"> {limit:.0f} s (killed)"
    peak = timing.read_text().split()[-1] if timing.exists() and timing.read_text() else "?"
    disk = sum(p.stat().st_size for p in back.rglob("*") if p.is_file()) if back.exists() else 0
    said = [line for line in err.splitlines() if line.startswith("error:")] or ["(no error)"]
    memory = f"{int(peak) / 1024:.0f} MiB" if peak.isdigit() else "? (killed)"
    return f"{wall} | {memory} | {disk / (1 << 20):.1f} MiB | {said[0][:100]}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--globusput", default=shutil.which("globusput") or "globusput")
    parser.add_argument("--limit", type=float, default=120.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        standin = StandIn(work / "standin").start()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
        server.socket = standin.context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client, secret = standin.add_client()
        url = f"https://localhost:{server.server_address[1]}"
        collection = standin.add_collection(grant=[client], external_https=url)
        for case in ("error", "gzip", "listed", "trickle", "loop"):
            (collection.root / case).mkdir()
        for case, size in (("error", 100), ("gzip", 100), ("listed", 200 << 20), ("trickle", 100)):
            (collection.root / case / "f.bin").write_bytes(b"\0" * size)
        collection.listed_sizes["/listed/f.bin"] = 6
        (collection.root / "loop" / "a.txt").write_text("a")
        env = {
            **os.environ,
            **standin.environment(),
            "GLOBUS_CLIENT_ID": client,
            "GLOBUS_CLIENT_SECRET": secret,
        }
        print(f"# {options.globusput}")
        print("| case | what the collection does | wall | peak memory | on disk | first error |")
        print("|---|---|---|---|---|---|")
        for number, what, path, extra in CASES:
            collection.self_containing = path == "/loop/"
            result = measure(
                options.globusput, env, [*extra, path], collection.id, work, options.limit
            )
            print(f"| {number} | {what} | {result} |", flush=True)
        server.shutdown()
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
