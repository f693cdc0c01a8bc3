"""A hostile workspace, run as the container runs in GitHub Actions (environment only, real
``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files), checked by what the runner would see.

File names come from the build, and builds run pull requests' code: no name may start a
workflow command, break the job summary's Markdown, or go anywhere but where it was asked to.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

from ..github_files import read_outputs
from .conftest import Result, Runner

HOSTILE = [
    b"a\n::warning::injected.txt",
    b"b\r::error::injected.txt",
    b"c ##[add-mask]legacy.txt",
    b"d\x1b[0Ksection_start:1:s\r\x1b[0Kgitlab.txt",
    b"e|`code`<b>bold<img src=x onerror=alert(1)>[link](https:evil.example)*x*.txt",
    b"f\xe2\x80\xaeevil-bidi.txt",
    b"::set-env name=X::1.txt",
    b"h\xff-not-utf8.txt",
    b"plain.txt",
]
#: The workflow commands globusput itself writes.
OURS = re.compile(r"^::(add-mask|group|endgroup|error [^:]*title=globusput[^:]*)::")


def hostile_run(run: Runner, tmp_path: Path, *extra: str, **env: str) -> tuple[Result, Path]:
    base = os.fsencode(run.workspace / "out")
    os.mkdir(base)
    for name in HOSTILE:
        with open(os.path.join(base, name), "wb") as stream:
            stream.write(b"content of " + name)
    github = tmp_path / "github"
    github.mkdir()
    result = run(
        *extra,
        entrypoint=True,
        env={
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(github / "output"),
            "GITHUB_STEP_SUMMARY": str(github / "summary"),
            "GLOBUSPUT_PATHS": "out",
            "GLOBUSPUT_BASE_DIR": "out",
            "GLOBUSPUT_DESTINATION": "/h/",
            "GLOBUS_COLLECTION_ID": run.collection_id,
            "GLOBUSPUT_MANIFEST": str(github / "manifest.json"),
            **env,
        },
    )
    return result, github


def assert_runner_obeys_nothing(result: Result) -> None:
    for line in (result.stdout + result.stderr).split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("::"):
            assert OURS.match(stripped), f"a line the runner would obey: {line!r}"
        assert "##[" not in line, line
        # GitLab's section markers and colours need an ESC; a carriage return hides text
        assert "\x1b" not in line and "\r" not in line, repr(line)


def test_names_cannot_command_the_runner_and_arrive_exactly(run: Runner, tmp_path: Path) -> None:
    result, github = hostile_run(run, tmp_path)
    assert result.returncode == 0, result.output
    assert_runner_obeys_nothing(result)
    # the collection holds exactly those names, with their bytes
    tree = {os.fsencode(k): v for k, v in run.tree().items()}
    assert tree == {b"/h/" + n: b"content of " + n for n in HOSTILE}
    # the manifest names them exactly (JSON-escaped)
    manifest = json.loads((github / "manifest.json").read_text())
    sources = {os.fsencode(f["source"]) for f in manifest["files"]}
    assert sources == {b"out/" + n for n in HOSTILE}
    # the outputs: every URL, decoding to the exact name
    outputs = read_outputs(github / "output")
    urls = json.loads(outputs["uploaded"])
    assert {unquote_to_bytes(urlsplit(u).path) for u in urls} == {b"/h/" + n for n in HOSTILE}
    assert outputs["count"] == str(len(HOSTILE))
    # the summary: one table row per file, four cells each, no Markdown from the names
    summary = (github / "summary").read_text()
    rows = [line for line in summary.split("\n") if line.startswith("| ")]
    assert len(rows) == 1 + len(HOSTILE)  # the header row, then one per file
    for row in rows[1:]:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row
        assert not re.search(r"(?<!\\)[<`*]", row), row
        assert len(re.findall(r"(?<!\\)\[", row)) == 1, row  # our link, no other
    assert "\r" not in summary


def test_server_text_is_inert_too(run: Runner, tmp_path: Path) -> None:
    run.collection.display_name = "evil\n::error::from the server\x1b[31m"
    result, _ = hostile_run(run, tmp_path, "-v")
    assert result.returncode == 0, result.output
    assert_runner_obeys_nothing(result)
    # a line break in server text makes a line of its own, which cannot start a command
    assert "\n\\::error::from the server\\x1b[31m" in result.stderr


def test_a_failing_hostile_name_is_reported_inertly(run: Runner, tmp_path: Path) -> None:
    run.standin.add_fault("status", path="/h/a*", status=400)
    result, github = hostile_run(run, tmp_path)
    assert result.returncode == 1, result.output
    assert_runner_obeys_nothing(result)
    assert "out/a\\n::warning::injected.txt: the server answered 400" in result.stderr
    manifest = json.loads((github / "manifest.json").read_text())
    assert manifest["failed"] == 1 and manifest["uploaded"] == len(HOSTILE) - 1
    summary = (github / "summary").read_text()
    assert summary.count("\n| ") == len(HOSTILE) + 1
