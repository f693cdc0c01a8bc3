"""What the run tells people and machines: log lines, the summary and the JSON manifest.

Every line passes through :meth:`Reporter.scrub`, so a secret or token that reached a message
by accident is still never printed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from globusput.ci import CI, detect
from globusput.progress import Progress
from globusput.upload import Outcome

#: GitHub refuses step summaries over 1 MiB; stay clear of it with the closing lines.
SUMMARY_LIMIT = 1_000_000
STATUS_MARK = {
    "failed": "❌ failed",
    "uploaded": "✅ uploaded",
    "skipped": "⏭️ skipped",
    "planned": "📝 planned",
}


class Reporter:
    """Log lines for people, workflow commands for the CI system, never a secret."""

    def __init__(
        self, *, out: TextIO | None = None, err: TextIO | None = None, ci: CI | None = None
    ) -> None:
        self.verbose = False
        self.quiet = False
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.ci = ci or detect(self.out)
        self.progress = Progress()  #: lines go through it, so a live bar is not torn
        self._secrets: list[str] = []

    def add_secret(self, value: str | None) -> None:
        """Never print this value; the CI system is asked to mask it before anything else."""
        if value and len(value) >= 4 and value not in self._secrets:
            self._secrets.append(value)
            self.ci.mask(value)

    def scrub(self, text: str) -> str:
        for value in self._secrets:
            text = text.replace(value, "***")
        return text

    def info(self, message: str) -> None:
        if not self.quiet:
            self.progress.write(self.scrub(message), self.out)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.progress.write(self.scrub(message), self.err)

    def warn(self, message: str) -> None:
        self.progress.write(f"warning: {self.scrub(message)}", self.err)

    def error(self, message: str, file: str | None = None) -> None:
        message = self.scrub(message)
        for line in message.splitlines() or [""]:
            self.progress.write(f"error: {line}", self.err)
        self.ci.annotate_error(message, file)

    def begin_files(self, count: int) -> None:
        self.ci.section(f"Uploading {count} file{'s' if count != 1 else ''}")

    def end_files(self) -> None:
        self.ci.end_section()

    def outcome(self, outcome: Outcome) -> None:
        source, size = outcome.item.source.path, human_size(outcome.item.source.size)
        if outcome.status == "uploaded":
            self.info(f"uploaded {source} -> {outcome.item.url} ({size})")
        elif outcome.status == "skipped":
            self.info(f"skipped {source}: already on the collection ({outcome.item.url})")
        elif outcome.status == "planned":
            self.info(f"would upload {source} -> {outcome.item.url} ({size})")
        else:
            self.error(f"{source}: {outcome.error}", file=source)

    def summary(self, outcomes: Sequence[Outcome], seconds: float) -> None:
        counts = tally(outcomes)
        parts = [f"{counts['uploaded']} uploaded ({human_size(counts['bytes'])})"]
        if counts["skipped"]:
            parts.append(f"{counts['skipped']} skipped")
        if counts["planned"]:
            parts.append(f"{counts['planned']} planned")
        parts.append(f"{counts['failed']} failed")
        line = ", ".join(parts) + f" in {seconds:.1f}s"
        if counts["failed"]:
            self.progress.write(self.scrub(line), self.err)
        else:
            self.info(line)

    def publish(
        self, outcomes: Sequence[Outcome], manifest_path: str | None, collection: str
    ) -> None:
        """CI outputs (URLs, counts, manifest path) and the job summary."""
        uploaded = [o for o in outcomes if o.status == "uploaded"]
        outputs = {
            "uploaded": json.dumps([o.item.url for o in uploaded]),
            "count": str(len(uploaded)),
            "bytes": str(sum(o.item.source.size for o in uploaded)),
            "manifest": manifest_path or "",
        }
        self.ci.finish(outputs, self.scrub(step_summary(outcomes, collection)))


def step_summary(outcomes: Sequence[Outcome], collection: str) -> str:
    """A Markdown table, failures first, cut to fit GitHub's limit for large runs."""
    counts = tally(outcomes)
    head = (
        f"### globusput: {counts['uploaded']} uploaded ({human_size(counts['bytes'])}), "
        f"{counts['skipped']} skipped, {counts['failed']} failed\n\n"
        f"Collection `{collection}`\n\n| status | file | size | destination |\n|---|---|---|---|\n"
    )
    rows = []
    size = len(head.encode())
    ordered = sorted(outcomes, key=lambda o: (o.status != "failed", o.item.source.path))
    for index, o in enumerate(ordered):
        where = o.error if o.status == "failed" else f"[{o.item.remote_path}]({o.item.url})"
        row = (
            f"| {STATUS_MARK[o.status]} | {_cell(o.item.source.path)} | "
            f"{human_size(o.item.source.size)} | {_cell(where or '')} |\n"
        )
        if size + len(row.encode()) > SUMMARY_LIMIT - 200:
            rows.append(f"\n{len(ordered) - index} more files are not listed; see the manifest.\n")
            break
        rows.append(row)
        size += len(row.encode())
    return head + "".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def tally(outcomes: Sequence[Outcome]) -> dict[str, int]:
    counts = {"uploaded": 0, "skipped": 0, "failed": 0, "planned": 0, "bytes": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.status == "uploaded":
            counts["bytes"] += outcome.item.source.size
    return counts


def manifest(collection_id: str, destination: str, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    counts = tally(outcomes)
    return {
        "collection_id": collection_id,
        "destination": destination,
        "files": [
            {
                "source": o.item.source.path,
                "destination": o.item.url,
                "size": o.item.source.size,
                "sha256": o.sha256,
                "status": o.status,
                "error": o.error,
            }
            for o in outcomes
        ],
        "uploaded": counts["uploaded"],
        "failed": counts["failed"],
        "bytes": counts["bytes"],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, so a reader never sees half a manifest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(data, stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    os.chmod(temp, 0o644)
    os.replace(temp, path)


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TiB"
