"""Turn benchmark medians into bench/results.md (tables, targets) and bench/results.png."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.workloads import MIB, Row


def _find(rows: Sequence[Row], workload: str, contender: str) -> Row | None:
    return next((r for r in rows if r.workload.name == workload and r.contender == contender), None)


def _throughput(rows: Sequence[Row], contender: str) -> dict[str, float]:
    """Streaming MiB/s per single-file workload: size / (wall - wall of the 1 KiB upload)."""
    base = _find(rows, "1 file, 1KiB", contender)
    out = {}
    for row in rows:
        single = row.workload.name.startswith("1 file") and row.workload.name != "1 file, 1KiB"
        if row.contender == contender and single and base:
            streaming = row.median("wall") - base.median("wall")
            out[row.workload.name] = row.workload.total / MIB / max(streaming, 1e-3)
    return out


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{nginx.replace('nginx version: ', '')}, {curl.splitlines()[0].split(' (')[0]}"
    )


def targets(rows: Sequence[Row], startup: dict[str, float]) -> list[tuple[str, str, str]]:
    """(target, measured, met?) for the issue's ratios."""
    out = [*_cost_targets(rows), *_memory_targets(rows), *_many_targets(rows)]
    counts = {
        r.workload.name: int(r.median("service_requests"))
        for r in rows
        if r.contender == "globusput" and "files, 8 KiB" in r.workload.name
    }
    if counts:
        out.append(
            (
                "Auth + Transfer requests grow with folders, not files (defaults; 250 files a "
                "folder)",
                ", ".join(f"{k.split(',')[0]}: {v}" for k, v in counts.items()),
                "see table",
            )
        )
    for flag, wall in startup.items():
        out.append(
            (f"globusput {flag} <= 0.25 s", f"{wall:.3f} s", "yes" if wall <= 0.25 else "no")
        )
    return out


def _cost_targets(rows: Sequence[Row]) -> list[tuple[str, str, str]]:
    """Streaming throughput against curl, and the fixed cost against the original script."""
    out: list[tuple[str, str, str]] = []
    gp, curl = _throughput(rows, "globusput"), _throughput(rows, "curl")
    big = max(
        (name for name in gp if name in curl),
        key=lambda n: _find(rows, n, "curl").workload.total,
        default=None,
    )  # type: ignore[union-attr]
    if big:
        ratio = gp[big] / curl[big]
        out.append(
            (
                f"{big}: streaming throughput >= 0.95 x curl -T",
                f"{gp[big]:.0f} vs {curl[big]:.0f} MiB/s = {ratio:.2f} x",
                "yes" if ratio >= 0.95 else "no",
            )
        )
    small = _find(rows, "1 file, 1KiB", "globusput")
    original = _find(rows, "1 file, 1KiB", "original one-file script")
    if small and original:
        wall, theirs = small.median("wall"), original.median("wall")
        out.append(
            (
                "fixed cost: one small file end to end < the original script (0.28 s)",
                f"{wall:.2f} s vs {theirs:.2f} s for the original script here",
                "yes" if wall < theirs else "no",
            )
        )
    return out


def _memory_targets(rows: Sequence[Row]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    rss = [r.median("rss_mb") for r in rows if r.contender == "globusput"]
    singles = {
        r.workload.name: r.median("rss_mb")
        for r in rows
        if r.contender == "globusput" and r.workload.name.startswith("1 file")
    }
    if rss:
        flat = max(singles.values()) - min(singles.values()) if singles else 0.0
        out.append(("peak RSS <= 80 MB", f"{max(rss):.0f} MB", "yes" if max(rss) <= 80 else "no"))
        out.append(
            (
                "RSS flat: largest file within 10 MB of 1 MiB",
                f"{flat:.1f} MB apart",
                "yes" if flat <= 10 else "no",
            )
        )
    return out


def _many_targets(rows: Sequence[Row]) -> list[tuple[str, str, str]]:
    """Many small files: against curl --parallel, and against one process per file."""
    out: list[tuple[str, str, str]] = []
    for count in ("1000", "100"):
        mine, theirs = (_find(rows, f"{count} files, 8 KiB", c) for c in ("globusput", "curl"))
        if mine and theirs:
            ratio = mine.median("wall") / theirs.median("wall")
            out.append(
                (
                    f"{count} files: wall <= 1.3 x curl --parallel",
                    f"{mine.median('wall'):.2f} vs {theirs.median('wall'):.2f} s = {ratio:.2f} x",
                    "yes" if ratio <= 1.3 else "no",
                )
            )
            per = _find(rows, "100 files, 8 KiB", "globusput per file")
            if per:
                scaled = per.median("wall") / 100 * int(count)
                speedup = scaled / mine.median("wall")
                out.append(
                    (
                        f"{count} files: >= 30 x faster than one process per file",
                        f"{speedup:.0f} x (per-file cost measured on 100 files)",
                        "yes" if speedup >= 30 else "no",
                    )
                )
            break
    return out


OPERATIONS = ("mkdir", "stat", "rename", "ls")


def far_rows(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if r.workload.far]


def ratio_to_floor(rows: Sequence[Row], row: Row) -> float | None:
    floor = _find(rows, row.workload.name, "floor")
    return row.median("wall") / floor.median("wall") if floor else None


def far_targets(rows: Sequence[Row]) -> list[tuple[str, str, str]]:
    """The distance issue's targets, measured under the latency model."""
    out: list[tuple[str, str, str]] = []

    def operations(row: Row) -> int:
        return sum(row.typical().transfer.get(kind, 0) for kind in OPERATIONS)

    for row in far_rows(rows):
        name, ratio = row.workload.name, ratio_to_floor(rows, row)
        if row.workload.jobs > 1:
            out.append(_shared_limit_target(row))
        if row.contender != "globusput" or ratio is None:
            continue
        folders = len({rel.rsplit("/", 1)[0] for rel in row.workload.files})
        transfer = sum(row.typical().transfer.values())
        if len(row.workload.files) == 1:
            original = _find(rows, name, "original one-file script")
            if original:
                mine, theirs = row.median("wall"), original.median("wall")
                out.append(
                    (
                        f"{name}: <= 1 Transfer operation, wall <= 1.1 x the original script",
                        f"{operations(row)} operation(s); {mine:.2f} vs {theirs:.2f} s = "
                        f"{mine / theirs:.2f} x",
                        _yes(operations(row) <= 1 and mine <= 1.1 * theirs),
                    )
                )
            continue
        limit = 10 if folders <= 4 else 2 * folders + 5
        most = 1.5 if folders <= 4 else 1.25
        out.append(
            (
                f"{name}, defaults: <= {most} x the floor",
                f"{row.median('wall'):.2f} s = {ratio:.2f} x",
                _yes(ratio <= most),
            )
        )
        label = "operation" if folders <= 4 else "Transfer"
        count = operations(row) if folders <= 4 else transfer
        out.append(
            (
                f"{name}, defaults: {label} calls <= {limit}; no 429",
                f"{count} ({_kinds(row)}); {row.typical().throttled} x 429",
                _yes(count <= limit and row.typical().throttled == 0),
            )
        )
        whole = _find(rows, name, "globusput --whole-folder")
        if whole:
            renames = whole.typical().transfer.get("rename", 0)
            out.append(
                (f"{name}, whole folder: exactly one rename", str(renames), _yes(renames == 1))
            )
    return out


def _shared_limit_target(row: Row) -> tuple[str, str, str]:
    """Jobs sharing a limit: 429s at most a quarter of the calls made, and the wall time
    within 1.3 x the limit's floor (the answered calls at the limit's rate)."""
    count, seconds = row.workload.limit
    made = sum(row.typical().transfer.values())
    refused = row.typical().throttled
    floor = (made - refused) * seconds / count
    wall = row.median("wall")
    return (
        f"{row.workload.name}: 429s <= 1/4 of the calls; wall <= 1.3 x the limit's floor",
        f"{refused} of {made} calls ({refused / max(made, 1):.0%}); {wall:.1f} s vs "
        f"{floor:.1f} s = {wall / floor:.2f} x",
        _yes(4 * refused <= made and wall <= 1.3 * floor),
    )


def download_targets(rows: Sequence[Row]) -> list[tuple[str, str, str]]:
    """The round-trip issue's targets for ``globusput get``."""
    out: list[tuple[str, str, str]] = []
    gets = {r.workload.name: r for r in rows if r.contender == "globusput get"}
    singles = {n: r for n, r in gets.items() if n.startswith("get: 1 file")}
    if singles:
        big = max(singles.values(), key=lambda r: r.workload.total)
        curl = _find(rows, big.workload.name, "curl + openssl dgst")
        if curl:
            mine, theirs = big.median("cpu"), curl.median("cpu")
            out.append(
                (
                    f"{big.workload.name} with SHA-256: CPU <= 1.3 x curl + openssl dgst -sha256",
                    f"{mine:.2f} vs {theirs:.2f} s = {mine / max(theirs, 1e-3):.2f} x",
                    _yes(mine <= 1.3 * theirs),
                )
            )
        rss = [r.median("rss_mb") for r in singles.values()]
        out.append(
            (
                "get RSS flat: largest file within 10 MB of the smallest",
                f"{max(rss) - min(rss):.1f} MB apart ({max(rss):.0f} MB peak)",
                _yes(max(rss) - min(rss) <= 10),
            )
        )
    for name, row in gets.items():
        ratio = ratio_to_floor(rows, row)
        if ratio is None:
            continue
        folders = len({rel.rsplit("/", 1)[0] for rel in row.workload.files})
        transfer = row.typical().transfer
        out.append(
            (
                f"{name}: wall <= 2.0 x the floor",
                f"{row.median('wall'):.2f} s = {ratio:.2f} x",
                _yes(ratio <= 2.0),
            )
        )
        listings = transfer.get("ls", 0)
        out.append(
            (
                f"{name}: one listing per folder, nothing else but the collection look-up",
                f"{sum(transfer.values())} ({_kinds(row)}) for {folders} folders",
                _yes(listings <= folders + 1 and sum(transfer.values()) == listings + 1),
            )
        )
    return out


def _kinds(row: Row) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(row.typical().transfer.items())) or "none"


def _yes(ok: bool) -> str:
    return "yes" if ok else "no"


def write_report(
    rows: Sequence[Row],
    startup: dict[str, float],
    args: argparse.Namespace,
    out: Path,
    imports: Sequence[str] = (),
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# globusput benchmark results",
        "",
        f"{datetime.date.today()}, {_machine()}.",
        f"Concurrency {args.concurrency}, {args.reps} repetition(s) per contender (five times as "
        "many for the one-file far row, a second each; twice for the jobs row, whose limit's "
        "windows fall anywhere), alternating "
        "order, medians. Absolute numbers depend on the machine; the ratios are what the targets "
        "speak of. Reproduce: `python bench/run.py` (see bench/README.md).",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(
            f"| {t} | {m} | {ok} |"
            for t, m, ok in [*far_targets(rows), *targets(rows, startup), *download_targets(rows)]
        ),
        "",
    ]
    lines += _far_section(rows)
    lines += imports
    lines += _all_section(rows)
    (out / "results.md").write_text("\n".join(lines))
    _plot(rows, out / "results.png")


def _far_section(rows: Sequence[Row]) -> list[str]:
    lines: list[str] = []
    if far_rows(rows):
        lines += [
            "## Under Globus-like latency (medians)",
            "",
            "The stand-in answers Auth after 0.15 s, Transfer look-ups after 0.25 s, Transfer "
            "operations (mkdir, stat, rename, ls) after 0.6 s and each request to the HTTPS "
            "server (nginx here, through its token check) after 0.03 s, and limits Transfer to "
            "20 requests per second (`--latency globus --transfer-rate 20/1s`). Files are 8 KiB. "
            "The floor is curl making one token request, one collection look-up and one mkdir, "
            "then uploading with `--parallel-max 4` into folders made beforehand; for `get`, one "
            "token request, one look-up and the folders' listings (in parallel), then "
            "downloading with `--parallel-max 4` and `openssl dgst -sha256` over the files. "
            "The jobs row runs that many uploads at once under one limit of 30 Transfer "
            "requests per 10 s, whose 429s carry no Retry-After (`--transfer-rate 30/10s "
            "--no-retry-after`); its floor is the answered calls at that rate.",
            "",
            "| workload | contender | wall s | x floor | Transfer requests | HTTPS requests "
            "| 429s |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in far_rows(rows):
            ratio = ratio_to_floor(rows, row)
            lines.append(
                f"| {row.workload.name} | {row.contender} | {row.median('wall'):.2f} | "
                f"{ratio:.2f} | {sum(row.typical().transfer.values())} ({_kinds(row)}) | "
                f"{row.typical().data} | {row.typical().throttled} |"
                if ratio is not None
                else f"| {row.workload.name} | {row.contender} | {row.median('wall'):.2f} | | "
                f"{sum(row.typical().transfer.values())} ({_kinds(row)}) | "
                f"{row.typical().data} | {row.typical().throttled} |"
            )
        lines.append("")
    return lines


def _all_section(rows: Sequence[Row]) -> list[str]:
    lines = [
        "## All runs without latency (medians)",
        "",
        "| workload | contender | wall s | CPU s | MiB/s | peak RSS MB | Auth+Transfer requests |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in (r for r in rows if not r.workload.far):
        wall = row.median("wall")
        lines.append(
            f"| {row.workload.name} | {row.contender} | {wall:.2f} | {row.median('cpu'):.2f} | "
            f"{row.workload.total / MIB / max(wall, 1e-3):.1f} | {row.median('rss_mb'):.0f} | "
            f"{int(row.median('service_requests'))} |"
        )
    return [*lines, "", "![time vs file count and throughput vs size](results.png)", ""]


def _plot(rows: Sequence[Row], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return
    far = far_rows(rows)
    fig, axes = plt.subplots(1, 3 if far else 2, figsize=(16.5 if far else 11, 4.2))
    left, right = axes[0], axes[1]
    if far:
        _plot_far(rows, far, axes[2])
    for index, contender in enumerate(sorted({r.contender for r in rows if not r.workload.far})):
        color = f"C{index}"  # the same colour for a contender in both plots
        many = sorted(
            (int(r.workload.name.split()[0]), r.median("wall"))
            for r in rows
            if r.contender == contender and "files, 8 KiB" in r.workload.name
        )
        if many:
            left.plot(*zip(*many, strict=True), marker="o", label=contender, color=color)
        sizes = sorted(
            (r.workload.total / MIB, r.workload.total / MIB / max(r.median("wall"), 1e-3))
            for r in rows
            if r.contender == contender and r.workload.name.startswith("1 file")
        )
        if sizes:
            right.plot(*zip(*sizes, strict=True), marker="o", label=contender, color=color)
    left.set(
        xscale="log",
        yscale="log",
        xlabel="files of 8 KiB",
        ylabel="wall time (s)",
        title="Time vs file count",
    )
    right.set(
        xscale="log",
        xlabel="file size (MiB)",
        ylabel="MiB/s (end to end)",
        title="Throughput vs file size",
    )
    for axis in (left, right):
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _plot_far(rows: Sequence[Row], far: Sequence[Row], axis: Any) -> None:
    """Wall time as a multiple of the floor, per workload and contender."""
    workloads = list(dict.fromkeys(r.workload.name.removeprefix("far: ") for r in far))
    contenders = [c for c in dict.fromkeys(r.contender for r in far) if c != "floor"]
    width = 0.8 / max(1, len(contenders))
    for index, contender in enumerate(contenders):
        points = [
            (w, ratio_to_floor(rows, r))
            for w_index, w in enumerate(workloads)
            for r in far
            if r.contender == contender and r.workload.name.removeprefix("far: ") == w
        ]
        xs = [workloads.index(w) + index * width for w, ratio in points if ratio is not None]
        ys = [ratio for _, ratio in points if ratio is not None]
        axis.bar(xs, ys, width, label=contender, color=f"C{index + 5}")
    axis.axhline(1.5, color="grey", linestyle="--", linewidth=1, label="target: 1.5 x floor")
    axis.set_xticks([i + 0.4 - width / 2 for i in range(len(workloads))], workloads, fontsize=8)
    axis.set(ylabel="wall time / floor", title="Under Globus-like latency")
    axis.grid(True, axis="y", alpha=0.3)
    axis.legend(fontsize=7)
