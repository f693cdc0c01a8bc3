"""How the run speaks to people and machines: log lines, CI sections, annotations, outputs
and the job summary, whatever the command.

Every line passes through :meth:`Reporter.scrub`, so a secret or token that reached a message
by accident is still never printed. What each command says is :mod:`globusput.summary`'s.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from globusput.ci import CI, detect
from globusput.inert import log_lines
from globusput.progress import Progress

#: GitHub refuses step summaries over 1 MiB; stay clear of it with the closing lines.
SUMMARY_LIMIT = 1_000_000
#: GitHub allows 1 MB of outputs per job, counted in UTF-16; the URL list stays well under.
OUTPUT_LIMIT = 800_000
#: Error annotations a run makes (GitHub shows 10 a step, 50 a job); the log has them all.
ANNOTATIONS = 50


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
        self._annotated = 0

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
            self._write(message, self.out)

    def debug(self, message: str) -> None:
        if self.verbose:
            self._write(message, self.err)

    def warn(self, message: str) -> None:
        self._write(message, self.err, "warning: ")

    def error(self, message: str, file: str | None = None) -> None:
        message = self.scrub(message)
        self._write(message, self.err, "error: ")
        self._annotated += 1
        if self._annotated <= ANNOTATIONS:
            self.ci.annotate_error(message, file)
        elif self._annotated == ANNOTATIONS + 1:
            self.ci.annotate_error(f"more than {ANNOTATIONS} errors: the log lists them all")

    def _write(self, message: str, stream: TextIO, prefix: str = "") -> None:
        """Every line of the log goes out here: secrets scrubbed, data made inert."""
        for line in log_lines(self.scrub(message)):
            self.progress.write(prefix + line, stream)

    @contextlib.contextmanager
    def files_section(self, title: str) -> Iterator[None]:
        """A run of files: a section of the CI log, and the live progress display, which
        ends with it."""
        self.ci.section(title)
        try:
            yield
        finally:
            self.progress.close()
            self.progress = Progress()
            self.ci.end_section()

    def tally(self, line: str, failed: bool) -> None:
        """The run's closing count: on stderr (even with -q) when something failed; the
        failures themselves were annotated already."""
        if failed:
            self._write(line, self.err)
        else:
            self.info(line)

    def list_output(
        self, name: str, values: list[str], what: str, where: str, limit: int = OUTPUT_LIMIT
    ) -> str:
        """``values`` as a JSON list output, cut to ``limit`` as GitHub limits outputs,
        saying so and ``where`` the whole list is."""
        kept = fit_output(values, limit)
        if len(kept) < len(values) and self.ci.has_outputs:
            self.warn(
                f"the '{name}' output lists {len(kept)} of {len(values)} {what}, as GitHub "
                f"limits outputs to 1 MB; {where} lists them all"
            )
        return json.dumps(kept)

    def finish_ci(self, outputs: dict[str, str], summary: str) -> None:
        """The CI system's outputs and job summary, where it has them."""
        self.ci.finish({k: self.scrub(v) for k, v in outputs.items()}, self.scrub(summary))


def manifest_named(path: str | None) -> str:
    """Where a cut output's whole list is: the manifest, named as the user can find it."""
    return f"the manifest ({path})" if path else "the manifest (--manifest)"


def fit_output(values: list[str], limit: int = OUTPUT_LIMIT) -> list[str]:
    """The longest head of ``values`` whose JSON list stays under ``limit`` (UTF-16)."""
    size = 2 * len("[]")
    for index, value in enumerate(values):
        # json.dumps escapes everything outside ASCII: one UTF-16 unit a character
        size += 2 * len(json.dumps(value) + ", ")
        if size > limit:
            return values[:index]
    return values


def cut_table(head: str, rows: Sequence[str]) -> str:
    """``head`` and as many ``rows`` as GitHub's summary limit allows, saying what was left."""
    kept: list[str] = []
    size = len(head.encode())
    for index, row in enumerate(rows):
        if size + len(row.encode()) > SUMMARY_LIMIT - 200:
            kept.append(f"\n{len(rows) - index} more files are not listed; see the manifest.\n")
            break
        kept.append(row)
        size += len(row.encode())
    return head + "".join(kept) + "\n"


def check_writable(path: Path, what: str) -> str | None:
    """Why ``path`` cannot be written later, or None: found before anything is uploaded."""
    if path.is_dir():
        return f"{what} {path} is a folder: name a file"
    if path.exists() and not path.is_file():  # a FIFO would hang the run, a device eat it
        return f"{what} {path} is not a regular file (a pipe or a device): name a file"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{what} {path} cannot be created: {parent} is not a folder"
    if not os.access(parent, os.W_OK):
        return f"{what} {path} cannot be written: no write permission in {parent}"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{what} {path} cannot be written: permission denied"
    return None


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TiB"
