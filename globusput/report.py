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

from globusput.upload import Outcome


class Reporter:
    def __init__(
        self,
        *,
        verbose: bool = False,
        quiet: bool = False,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.verbose = verbose
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._secrets: list[str] = []

    def add_secret(self, value: str | None) -> None:
        """Never print this value; CI integrations also mask it in their logs."""
        if value and len(value) >= 4 and value not in self._secrets:
            self._secrets.append(value)

    def scrub(self, text: str) -> str:
        for value in self._secrets:
            text = text.replace(value, "***")
        return text

    def info(self, message: str) -> None:
        if not self.quiet:
            print(self.scrub(message), file=self.out, flush=True)

    def debug(self, message: str) -> None:
        if self.verbose:
            print(self.scrub(message), file=self.err, flush=True)

    def warn(self, message: str) -> None:
        print(f"warning: {self.scrub(message)}", file=self.err, flush=True)

    def error(self, message: str) -> None:
        for line in self.scrub(message).splitlines() or [""]:
            print(f"error: {line}", file=self.err, flush=True)

    def outcome(self, outcome: Outcome) -> None:
        source, size = outcome.item.source.path, human_size(outcome.item.source.size)
        if outcome.status == "uploaded":
            self.info(f"uploaded {source} -> {outcome.item.url} ({size})")
        elif outcome.status == "skipped":
            self.info(f"skipped {source}: already on the collection ({outcome.item.url})")
        elif outcome.status == "planned":
            self.info(f"would upload {source} -> {outcome.item.url} ({size})")
        else:
            self.error(f"{source}: {outcome.error}")

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
            self.error(line)
        else:
            self.info(line)


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
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover
