"""What the benchmark measures: the workloads, and one row of measurements per contender."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30


@dataclass
class Workload:
    name: str
    files: dict[str, int]  #: relative path -> size
    #: served with the stand-in's Globus-like latency model and Transfer's rate limit
    far: bool = False
    #: the remote folders exist before the run (as for a rerun into a known folder)
    premade: bool = False
    #: the files are on the collection and are fetched (globusput get), not uploaded
    download: bool = False
    #: runs at once, each uploading its own top folder ``jobN/`` (the far rows' limit shared)
    jobs: int = 1
    #: Transfer's limit for far rows (requests, seconds), and whether its 429s say Retry-After
    limit: tuple[int, float] = (20, 1.0)
    retry_after: bool = True
    #: repetitions per ``--reps``: a row of about a second, whose target is a ratio within
    #: 10 %, needs more than the noise of a shared machine allows in three
    repeat: int = 1

    @property
    def total(self) -> int:
        return sum(self.files.values())


@dataclass
class Measure:
    wall: float
    cpu: float
    rss_mb: float
    service_requests: int  #: requests to Auth and Transfer
    transfer: dict[str, int] = field(default_factory=dict)  #: Transfer requests by kind
    data: int = 0  #: requests to the HTTPS server
    throttled: int = 0  #: 429 answers from Transfer


@dataclass
class Row:
    workload: Workload
    contender: str
    runs: list[Measure] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(m, attr) for m in self.runs)

    def typical(self) -> Measure:
        """The run with the median wall time, for figures that are not averaged (counts)."""
        return sorted(self.runs, key=lambda m: m.wall)[len(self.runs) // 2]


def single(size: int, label: str) -> Workload:
    return Workload(f"1 file, {label}", {f"single/{label}.bin": size})


def many(count: int) -> Workload:
    return Workload(
        f"{count} files, 8 KiB", {f"many/d{i // 250}/f{i}.bin": 8 * KIB for i in range(count)}
    )


def far(count: int, folders: int) -> Workload:
    return Workload(
        f"far: {count} files, {folders} folders",
        {f"d{i % folders:02}/f{i}.bin": 8 * KIB for i in range(count)},
        far=True,
    )


def far_jobs(jobs: int, count: int, folders: int) -> Workload:
    """``jobs`` runs of one pipeline at once, each ``count`` files in ``folders`` new folders,
    sharing a Transfer limit of 30 requests per 10 s whose 429s carry no Retry-After."""
    files = {
        f"job{j}/d{i % folders:02}/f{i}.bin": 8 * KIB for j in range(jobs) for i in range(count)
    }
    name = f"far: {jobs} jobs sharing a limit, {count} files in {folders} folders each"
    # the limit's fixed windows end anywhere in the jobs' first seconds, and where decides
    # whose calls a crowded window refuses: from 8 to 21 refusals, from 25 to 35 s
    return Workload(name, files, far=True, jobs=jobs, limit=(30, 10.0), retry_after=False, repeat=2)


def get_single(size: int, label: str) -> Workload:
    return Workload(f"get: 1 file, {label}", {f"single/{label}.bin": size}, download=True)


def far_get(count: int, folders: int) -> Workload:
    files = {f"d{i % folders:02}/f{i}.bin": 8 * KIB for i in range(count)}
    return Workload(f"far: get {count} files, {folders} folders", files, True, False, True)


def mixed() -> Workload:
    files = {f"wheelhouse/pkg{i}-1.0-py3-none-any.whl": (1 + i % 8) * MIB for i in range(16)}
    files |= {
        f"site/{d}/page{i}.html": 2 * KIB + (i * 997) % (40 * KIB)
        for d in ("api", "guide", "_static")
        for i in range(150)
    }
    return Workload("wheelhouse + docs site", files)


#: The original one-file script's own case.
SCRIPT_CASE = Workload(
    "far: 1 file, existing folder", {"reports/f.bin": 8 * KIB}, far=True, premade=True, repeat=5
)


def workloads(quick: bool) -> list[Workload]:
    if quick:
        return [
            single(KIB, "1KiB"),
            single(MIB, "1MiB"),
            single(16 * MIB, "16MiB"),
            many(10),
            many(100),
            SCRIPT_CASE,
            far(40, 4),
            far_jobs(8, 40, 4),
            get_single(MIB, "1MiB"),
            get_single(16 * MIB, "16MiB"),
            far_get(40, 4),
        ]
    return [
        SCRIPT_CASE,
        far(200, 4),
        far(2000, 40),
        far_jobs(8, 40, 4),
        far_get(1000, 4),
        get_single(MIB, "1MiB"),
        get_single(GIB, "1GiB"),
        single(KIB, "1KiB"),
        single(MIB, "1MiB"),
        single(64 * MIB, "64MiB"),
        single(GIB, "1GiB"),
        many(10),
        many(100),
        many(1000),
        many(5000),
        mixed(),
    ]
