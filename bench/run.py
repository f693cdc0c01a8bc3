#!/usr/bin/env python3
"""Benchmark globusput against curl on a real nginx data server; see bench/README.md.

    python bench/run.py [--quick] [--reps N] [--concurrency N]

Every contender uploads the same files to the same nginx (TLS, WebDAV PUT, tokens checked by the
local Globus stand-in), in alternating order (A B C A B C ...), and the medians are reported in
bench/results.md and bench/results.png.
"""

from __future__ import annotations

import argparse
import collections
import compileall
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import imports  # noqa: E402
from bench.nginx import Nginx  # noqa: E402
from bench.report import write_report  # noqa: E402
from bench.workloads import MIB, Measure, Row, Workload, workloads  # noqa: E402
from globusput.testing import StandIn  # noqa: E402
from globusput.testing.standin import GLOBUS_LIKE_LATENCY, TRANSFER_SCOPE  # noqa: E402


def materialise(workload: Workload, base: Path) -> Path:
    folder = base / re.sub(r"\W+", "_", workload.name)
    if folder.exists():
        return folder
    for rel, size in workload.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            seed = rel.encode()
            block = (seed * (MIB // len(seed) + 1))[:MIB]
            left = size
            while left:
                out.write(block[: min(left, MIB)])
                left -= min(left, MIB)
    return folder


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.standin = StandIn(work / "standin").start()
        self.client_id, self.secret = self.standin.add_client()
        self.collection = str(uuid.uuid4())
        #: a collection that sees the benchmark's files, for uploads by Transfer task
        self.source = str(uuid.uuid4())
        self.root = work / "www"
        self.root.mkdir()
        tls = (
            self.standin.ca_path,
            self.standin.workdir / "tls/server.pem",
            self.standin.workdir / "tls/server.key",
        )
        self.nginx = Nginx(
            work / "nginx", self.root, tls, self.standin.services.port, self.collection
        )
        self.env = {
            **os.environ,
            **self.standin.environment(),
            "GLOBUS_CLIENT_ID": self.client_id,
            "GLOBUS_CLIENT_SECRET": self.secret,
            "GLOBUS_COLLECTION_ID": self.collection,
        }
        self.env.pop("GLOBUSPUT_VERBOSE", None)
        self.got = work / "got"  #: where downloads land
        self._served: str | None = None  #: the download workload whose files are served
        self.globusput = shutil.which("globusput", path=os.path.dirname(sys.executable))
        if not self.globusput:
            raise SystemExit("install globusput first: pip install .")

    def setup(self) -> None:
        # as pip leaves an installed package: compiled, so an in-tree (editable) install is not
        # recompiled at each start where PYTHONDONTWRITEBYTECODE is set (CI images often do)
        import globusput

        compileall.compile_dir(os.path.dirname(globusput.__file__), quiet=1)
        self.nginx.__enter__()
        self.standin.add_collection(
            self.collection, root=self.root, grant=[self.client_id], external_https=self.nginx.url
        )
        self.standin.add_collection(self.source, root=self.work, grant=[self.client_id])
        import globus_sdk

        os.environ.update(self.standin.environment())
        tokens = globus_sdk.ConfidentialAppAuthClient(
            self.client_id, self.secret
        ).oauth2_client_credentials_tokens(
            f"https://auth.globus.org/scopes/{self.collection}/https"
        )
        self.header = self._header("auth-header", tokens.by_resource_server[self.collection])
        transfer = globus_sdk.ConfidentialAppAuthClient(
            self.client_id, self.secret
        ).oauth2_client_credentials_tokens(str(globus_sdk.TransferClient.scopes.all))
        self.transfer_header = self._header(
            "transfer-header", transfer.by_resource_server["transfer.api.globus.org"]
        )

    def _header(self, name: str, token: dict[str, str]) -> Path:
        header = self.work / name
        header.write_text(f"Authorization: Bearer {token['access_token']}\n")
        header.chmod(0o600)
        return header

    def close(self) -> None:
        self.nginx.__exit__()
        self.standin.stop()

    # -- contenders: each returns the command that uploads ``folder`` into /bench/ -------------
    def cmd_globusput(
        self,
        workload: Workload,
        folder: Path,
        extra: tuple[str, ...] = (),
        destination: str = "/bench/",
    ) -> str:
        return shlex.join(
            [
                self.globusput,
                "-q",
                "--concurrency",
                str(self.args.concurrency),
                *extra,
                "--base-dir",
                str(folder),
                str(folder),
                destination,
                self.collection,
            ]
        )

    def cmd_task(self, workload: Workload, folder: Path) -> str:
        """The same upload as one Transfer task from the collection that sees ``folder``; the
        stand-in's task moves bytes at ``StandIn.task_rate`` (an assumption, not Globus's)."""
        where = "/" + folder.relative_to(self.work).as_posix() + "/"
        task = ("--engine", "task", "--source-collection", self.source, "--source-path", where)
        return self.cmd_globusput(workload, folder, task)

    def cmd_jobs(self, workload: Workload, folder: Path) -> str:
        """``workload.jobs`` runs at once, as a pipeline's parallel jobs sharing one client:
        each uploads its ``jobN/`` (made beforehand) into /bench/jobN/; any failure fails all."""
        runs = []
        for job in range(workload.jobs):
            (self.root / "bench" / f"job{job}").mkdir()
            runs.append(self.cmd_globusput(workload, folder / f"job{job}", (), f"/bench/job{job}/"))
        started = " ".join(f"{run} & p{n}=$!;" for n, run in enumerate(runs))
        waits = " && ".join(f"wait $p{n}" for n in range(len(runs)))
        return f"{started} {waits}"

    def cmd_curl(self, workload: Workload, folder: Path) -> str:
        """One curl process: one stream for one file, --parallel for many (the ceilings)."""
        lines = []
        for rel in workload.files:
            (self.root / "bench" / rel).parent.mkdir(parents=True, exist_ok=True)
            lines += [
                f'upload-file = "{folder / rel}"',
                f'url = "{self.nginx.url}/bench/{rel}"',
                "output = /dev/null",
            ]
        return self._curl("curl.conf", lines, len(workload.files))

    def _curl(self, name: str, lines: list[str], files: int, *extra: str) -> str:
        """curl over a config file of ``lines`` (url, upload-file, output), with the
        collection's token: one stream for one file, ``--parallel`` for many."""
        config = self.work / name
        config.write_text("\n".join(lines) + "\n")
        parallel = ["--parallel", "--parallel-max", str(self.args.concurrency)]
        return shlex.join(
            [
                "curl",
                "-sS",
                "--fail",
                *extra,
                "--cacert",
                str(self.standin.ca_path),
                "-H",
                f"@{self.header}",
                *(parallel if files > 1 else []),
                "-K",
                str(config),
            ]
        )

    def cmd_get(self, workload: Workload, folder: Path) -> str:
        return shlex.join(
            [
                self.globusput,
                "get",
                "-q",
                "--concurrency",
                str(self.args.concurrency),
                "/bench/",
                str(self.got),
                self.collection,
            ]
        )

    def cmd_curl_get(self, workload: Workload, folder: Path) -> str:
        """curl fetching every file (paths known beforehand), then ``openssl dgst -sha256``
        over what arrived: the ceiling for a download whose bytes are hashed."""
        lines = []
        for rel in workload.files:
            lines += [f'url = "{self.nginx.url}/bench/{rel}"', f'output = "{self.got / rel}"']
        fetch = self._curl("curl-get.conf", lines, len(workload.files), "--create-dirs")
        listing = self.work / "got-files.txt"
        listing.write_text("\n".join(str(self.got / rel) for rel in workload.files) + "\n")
        digest = f"xargs openssl dgst -sha256 < {shlex.quote(str(listing))} > /dev/null"
        return f"{fetch} && {digest}"

    def cmd_get_floor(self, workload: Workload, folder: Path) -> str:
        """The least a download needs from Globus: one token, one collection look-up and one
        listing per folder (in parallel), all with curl at the model's latencies; then curl's
        downloads and their SHA-256."""
        url = self.standin.url
        scope = f"https://auth.globus.org/scopes/{self.collection}/https {TRANSFER_SCOPE}"
        ca = ["--cacert", str(self.standin.ca_path), "-sS", "--fail", "-o", "/dev/null"]
        auth = ["-H", f"@{self.transfer_header}"]
        folders = sorted({os.path.dirname(rel) for rel in workload.files})
        listings = [
            f"{url}v0.10/operation/endpoint/{self.collection}/ls?path=/bench/{f}" for f in folders
        ]
        steps = [
            ["curl", *ca, "-u", f"{self.client_id}:{self.secret}", "-d",
             "grant_type=client_credentials", "--data-urlencode", f"scope={scope}",
             f"{url}v2/oauth2/token"],
            ["curl", *ca, *auth, f"{url}v0.10/endpoint/{self.collection}"],
            ["curl", "--cacert", str(self.standin.ca_path), "-sS", "--fail", *auth,
             "--parallel", *(a for u in listings for a in ("-o", "/dev/null", u))],
        ]  # fmt: skip
        return " && ".join([*map(shlex.join, steps), self.cmd_curl_get(workload, folder)])

    def cmd_floor(self, workload: Workload, folder: Path) -> str:
        """The least any tool must do against Globus: one token, one collection document,
        one mkdir (requests made with curl, at the model's latencies), then curl's uploads."""
        url = self.standin.url
        scope = f"https://auth.globus.org/scopes/{self.collection}/https {TRANSFER_SCOPE}"
        ca = ["--cacert", str(self.standin.ca_path), "-sS", "--fail", "-o", "/dev/null"]
        auth = ["-H", f"@{self.transfer_header}"]
        steps = [
            ["curl", *ca, "-u", f"{self.client_id}:{self.secret}", "-d",
             "grant_type=client_credentials", "--data-urlencode", f"scope={scope}",
             f"{url}v2/oauth2/token"],
            ["curl", *ca, *auth, f"{url}v0.10/endpoint/{self.collection}"],
            ["curl", *ca, *auth, "-H", "Content-Type: application/json", "-d",
             '{"DATA_TYPE": "mkdir", "path": "/floor-mkdir"}',
             f"{url}v0.10/operation/endpoint/{self.collection}/mkdir"],
        ]  # fmt: skip
        return " && ".join([*map(shlex.join, steps), self.cmd_curl(workload, folder)])

    def cmd_per_file(self, workload: Workload, folder: Path) -> str:
        """The original one-file script's way: a new process for every file."""
        for rel in workload.files:
            (self.root / "bench" / rel).parent.mkdir(parents=True, exist_ok=True)
        steps = [
            shlex.join(
                [
                    self.globusput,
                    "-q",
                    str(folder / rel),
                    f"/bench/{os.path.dirname(rel)}/",
                    self.collection,
                ]
            )
            for rel in workload.files
        ]
        return " && ".join(steps)

    def cmd_requests_floor(self, workload: Workload, folder: Path) -> str:
        """Bare requests PUTs from a thread pool: what the mandated HTTP stack costs alone."""
        for rel in workload.files:
            (self.root / "bench" / rel).parent.mkdir(parents=True, exist_ok=True)
        listing = self.work / "files.txt"
        listing.write_text("\n".join(workload.files))
        return (
            shlex.join(
                [
                    sys.executable,
                    str(HERE / "requests_floor.py"),
                    str(self.header),
                    str(self.standin.ca_path),
                    self.nginx.url,
                    str(self.args.concurrency),
                    str(folder),
                ]
            )
            + f" $(cat {shlex.quote(str(listing))})"
        )

    def cmd_original(self, workload: Workload, folder: Path) -> str:
        """The script globusput replaces (fixed-cost baseline; one file only)."""
        (rel,) = workload.files
        (self.root / "bench" / os.path.dirname(rel)).mkdir(parents=True, exist_ok=True)
        return shlex.join(
            [
                sys.executable,
                str(HERE / "original_script.py"),
                str(folder / rel),
                f"/bench/{os.path.dirname(rel)}/",
                self.collection,
            ]
        )

    # -- measuring --------------------------------------------------------------------------
    def measure(
        self, build: Callable[[], str], workload: Workload | None = None, new_root: bool = False
    ) -> Measure:
        """Run one upload from an empty /bench/ folder (``build`` may pre-create folders);
        with ``new_root`` /bench/ itself does not exist yet (whole-folder publishing)."""
        if workload is not None and workload.download:
            self._serve(workload)
        else:
            for stale in self.root.iterdir():
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
            if not new_root:
                (self.root / "bench").mkdir()
        if workload is not None and workload.premade:
            for rel in workload.files:
                (self.root / "bench" / rel).parent.mkdir(parents=True, exist_ok=True)
        far = workload is not None and workload.far
        if far:
            self.standin.set_distance(GLOBUS_LIKE_LATENCY, workload.limit, workload.retry_after)
        command = build()
        before = self._service_requests()
        counts = collections.Counter(self.standin.counts)
        proc = subprocess.run(
            ["/usr/bin/time", "-v", "sh", "-c", command],
            env=self.env,
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            raise RuntimeError(f"{command[:200]} failed: {proc.stderr[-2000:]}")
        stats = dict(re.findall(r"^\s*(.+?): (.+)$", proc.stderr, re.M))
        wall = _seconds(stats["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
        cpu = float(stats["User time (seconds)"]) + float(stats["System time (seconds)"])
        rss = int(stats["Maximum resident set size (kbytes)"]) * 1024 / 1e6  # KiB -> MB
        delta = collections.Counter(self.standin.counts)
        delta.subtract(counts)
        transfer = {
            route.split(".", 1)[1]: n
            for route, n in delta.items()
            if route.startswith("transfer.") and n
        }
        data = sum(n for route, n in delta.items() if route.startswith("data."))
        self.standin.set_distance()
        return Measure(
            wall, cpu, rss, self._service_requests() - before, transfer, data, delta["throttled"]
        )

    def _serve(self, workload: Workload) -> None:
        """The collection holds exactly the workload's files under /bench/ (linked, not
        copied), and nothing has been fetched yet."""
        served = self.root / "bench"
        if self._served != workload.name:
            for stale in self.root.iterdir():
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
            source = materialise(workload, self.work / "data")
            for rel in workload.files:
                (served / rel).parent.mkdir(parents=True, exist_ok=True)
                os.link(source / rel, served / rel)
            self._served = workload.name
        shutil.rmtree(self.got, ignore_errors=True)
        self.got.mkdir()

    def verify(self, workload: Workload, folder: Path) -> None:
        for rel, size in workload.files.items():
            if workload.download:  # globusput keeps the collection path, curl the relative one
                got = self.got / "bench" / rel
                stored = got if got.exists() else self.got / rel
            else:
                stored = self.root / "bench" / rel
            if stored.stat().st_size != size or not _same(stored, folder / rel):
                raise RuntimeError(f"{rel} did not arrive intact")

    def _service_requests(self) -> int:
        return self.standin.count("auth.") + self.standin.count("transfer.")


def _same(a: Path, b: Path) -> bool:
    with open(a, "rb") as x, open(b, "rb") as y:
        while True:
            p, q = x.read(MIB), y.read(MIB)
            if p != q:
                return False
            if not p:
                return True


def _seconds(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


def contenders(bench: Bench, workload: Workload) -> dict[str, Callable[[Workload, Path], str]]:
    if workload.download:
        chosen = {"globusput get": bench.cmd_get, "curl + openssl dgst": bench.cmd_curl_get}
        if workload.far:
            chosen["floor"] = bench.cmd_get_floor
        return chosen
    if workload.jobs > 1:
        return {f"globusput, {workload.jobs} jobs at once": bench.cmd_jobs}
    if workload.far:
        return far_contenders(bench, workload)
    chosen: dict[str, Callable[[Workload, Path], str]] = {
        "globusput": bench.cmd_globusput,
        "globusput (no atomic, no verify)": lambda w, f: bench.cmd_globusput(
            w, f, ("--no-atomic", "--no-verify-size")
        ),
        "curl": bench.cmd_curl,
    }
    if 1 < len(workload.files) <= bench.args.per_file_limit:
        chosen["globusput per file"] = bench.cmd_per_file
    chosen["python requests floor"] = bench.cmd_requests_floor
    if workload.total <= 1 << 10:
        chosen["original one-file script"] = bench.cmd_original
    return chosen


def far_contenders(bench: Bench, workload: Workload) -> dict[str, Callable[[Workload, Path], str]]:
    """Placement modes against curl and the floor, all under the latency model."""
    chosen: dict[str, Callable[[Workload, Path], str]] = {
        "globusput": bench.cmd_globusput,
        "globusput --no-atomic": lambda w, f: bench.cmd_globusput(w, f, ("--no-atomic",)),
    }
    if len(workload.files) <= 200:  # one rename per file: minutes for thousands of files
        chosen["globusput --atomic"] = lambda w, f: bench.cmd_globusput(w, f, ("--atomic",))
    if not workload.premade:
        chosen["globusput --whole-folder"] = lambda w, f: bench.cmd_globusput(
            w, f, ("--whole-folder",)
        )
    if len(workload.files) > 1:
        chosen["globusput --engine task"] = bench.cmd_task
    chosen["curl (folders made beforehand)"] = bench.cmd_curl
    chosen["floor"] = bench.cmd_floor
    if len(workload.files) == 1:
        chosen["original one-file script"] = bench.cmd_original
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads, one repetition")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--per-file-limit",
        type=int,
        default=100,
        help="run 'one process per file' only up to this many files",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="where results.md/png go")
    parser.add_argument(
        "--only",
        metavar="TEXT",
        action="append",
        help="only workloads whose name contains TEXT (repeatable)",
    )
    args = parser.parse_args()
    if args.quick:
        args.reps = 1
    work = Path(tempfile.mkdtemp(prefix="globusput-bench-"))
    bench = Bench(args, work)
    rows: list[Row] = []
    startup = {
        flag: statistics.median(
            bench.measure(partial(shlex.join, [bench.globusput, flag])).wall for _ in range(5)
        )
        for flag in ("--version", "--help")
    }
    try:
        bench.setup()
        for workload in workloads(args.quick):
            if args.only and not any(text in workload.name for text in args.only):
                continue
            folder = materialise(workload, work / "data")
            candidates = contenders(bench, workload)
            table = {name: Row(workload, name) for name in candidates}
            reps = args.reps * workload.repeat
            for rep in range(reps):
                for name, command in candidates.items():  # alternating: A B C A B C
                    build = partial(command, workload, folder)
                    new_root = name.endswith("--whole-folder")
                    table[name].runs.append(bench.measure(build, workload, new_root))
                    bench.verify(workload, folder)
                print(f"{workload.name}: repetition {rep + 1} of {reps} done", flush=True)
            rows += table.values()
    finally:
        bench.close()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    write_report(rows, startup, args, args.out, imports.table())
    print(f"wrote {args.out / 'results.md'} and {args.out / 'results.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
