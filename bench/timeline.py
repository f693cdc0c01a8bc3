#!/usr/bin/env python3
"""Where one far upload's time goes: its ``-v`` lines, each with the seconds since start.

    python bench/timeline.py WORKLOAD_TEXT [GLOBUSPUT_OPTION...]

Runs the first workload whose name contains WORKLOAD_TEXT (for example ``"far: 200 files"``)
once to warm up and once to show, against the benchmark's nginx and stand-in under the
Globus-like latency model, as ``bench/run.py`` does. The timelines in issue notes come from here.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.run import Bench, materialise  # noqa: E402
from bench.workloads import workloads  # noqa: E402
from globusput.testing.standin import GLOBUS_LIKE_LATENCY  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", help="text the workload's name contains")
    parser.add_argument("options", nargs="*", help="more globusput options")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    chosen = [w for w in workloads(False) if args.workload in w.name and w.jobs == 1]
    if not chosen or chosen[0].download:
        raise SystemExit(f"no upload workload named like {args.workload!r}")
    workload = chosen[0]
    settings = argparse.Namespace(concurrency=args.concurrency, per_file_limit=100)
    work = Path(tempfile.mkdtemp(prefix="globusput-timeline-"))
    bench = Bench(settings, work)
    try:
        bench.setup()
        folder = materialise(workload, work / "data")
        for shown in (False, True):
            for stale in bench.root.iterdir():
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
            for rel in workload.files if workload.premade else ():
                (bench.root / "bench" / rel).parent.mkdir(parents=True, exist_ok=True)
            (bench.root / "bench").mkdir(exist_ok=True)
            bench.standin.set_distance(GLOBUS_LIKE_LATENCY, workload.limit, workload.retry_after)
            quiet = bench.cmd_globusput(workload, folder, tuple(args.options))
            command = quiet.replace(" -q ", " -v ", 1)
            _run(command, bench.env, shown)
            bench.standin.set_distance()
    finally:
        bench.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _run(command: str, env: dict[str, str], shown: bool) -> None:
    started = time.monotonic()
    proc = subprocess.Popen(
        command, shell=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if shown:
            print(f"{time.monotonic() - started:7.3f}  {line.rstrip()}")
    code = proc.wait()
    if shown:
        print(f"{time.monotonic() - started:7.3f}  exit {code}")


if __name__ == "__main__":
    sys.exit(main())
