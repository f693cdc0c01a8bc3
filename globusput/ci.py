"""What CI systems get beyond plain log lines: masks, log sections, annotations, outputs.

Detected from the environment (``GITHUB_ACTIONS=true``, ``GITLAB_CI=true``); elsewhere every hook
does nothing. Workflow commands go to stdout, where GitHub's runner reads them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from typing import TextIO


class CI:
    """No CI system: nothing beyond the plain log."""

    has_outputs = False  #: whether :meth:`finish` hands outputs to following steps

    def __init__(self, out: TextIO, environ: Mapping[str, str]) -> None:
        self.out = out
        self.environ = environ

    def mask(self, value: str) -> None:
        """Ask the CI system to hide ``value`` wherever it would appear in the log."""

    def section(self, title: str) -> None:
        """Start a collapsible part of the log."""

    def end_section(self) -> None:
        """End the part started by :meth:`section`."""

    def annotate_error(self, message: str, file: str | None = None) -> None:
        """Attach an error to the run's summary page, naming the file when there is one."""

    def finish(self, outputs: Mapping[str, str], summary: str) -> None:
        """Publish outputs for the following steps and a Markdown summary for people."""

    def files(self) -> dict[str, str]:
        """The files :meth:`finish` will write, by the variable that names them."""
        return {}


class GitHubActions(CI):
    has_outputs = True

    def mask(self, value: str) -> None:
        self._command(f"::add-mask::{_escape_data(value)}")

    def section(self, title: str) -> None:
        self._command(f"::group::{_escape_data(title)}")

    def end_section(self) -> None:
        self._command("::endgroup::")

    def annotate_error(self, message: str, file: str | None = None) -> None:
        props = "title=globusput failed"
        if file:
            props = f"file={_escape_property(file)},title=globusput failed on a file"
        self._command(f"::error {props}::{_escape_data(message)}")

    def files(self) -> dict[str, str]:
        names = ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
        return {name: self.environ[name] for name in names if self.environ.get(name)}

    def finish(self, outputs: Mapping[str, str], summary: str) -> None:
        output_file = self.environ.get("GITHUB_OUTPUT")
        if output_file:
            with open(output_file, "a", encoding="utf-8") as stream:
                for name, value in outputs.items():
                    delimiter = f"ghadelimiter_{uuid.uuid4()}"
                    stream.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        summary_file = self.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            with open(summary_file, "a", encoding="utf-8") as stream:
                stream.write(summary)

    def _command(self, line: str) -> None:
        print(line, file=self.out, flush=True)


class GitLabCI(CI):
    def __init__(self, out: TextIO, environ: Mapping[str, str]) -> None:
        super().__init__(out, environ)
        self._open: str | None = None

    def section(self, title: str) -> None:
        self._open = f"globusput_{int(time.time())}"
        print(
            f"\x1b[0Ksection_start:{int(time.time())}:{self._open}[collapsed=true]\r\x1b[0K{title}",
            file=self.out,
            flush=True,
        )

    def end_section(self) -> None:
        if self._open:
            print(
                f"\x1b[0Ksection_end:{int(time.time())}:{self._open}\r\x1b[0K",
                file=self.out,
                flush=True,
            )
            self._open = None


def detect(out: TextIO, environ: Mapping[str, str] | None = None) -> CI:
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") == "true":
        return GitHubActions(out, env)
    if env.get("GITLAB_CI") == "true":
        return GitLabCI(out, env)
    return CI(out, env)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
