"""The README's main job runs as written: the newcomer's first command must work."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def test_the_readmes_main_job_uploads_the_sources(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("Run the main job", 1)[1]
    block = re.search(r"```\n(.+?)\n```", section, re.S)
    assert block is not None
    command = block.group(1).split(" && ")[-1]  # after creating the venv and installing
    words = shlex.split(command)
    assert words[:4] == [".venv/bin/python", "-m", "globusput.testing", "run"]
    bindir = os.path.dirname(sys.executable)
    env = {
        "PATH": bindir + os.pathsep + os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    proc = subprocess.run(
        [sys.executable, *words[1:]],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "#   /demo/cli.py (" in proc.stdout
    assert "#   /demo/testing/standin.py (" in proc.stdout
    assert "error" not in proc.stderr


def test_ci_runs_the_readmes_test_command_exactly() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("Run the tests", 1)[1]
    block = re.search(r"```\n(.+?)\n```", section, re.S)
    assert block is not None
    assert block.group(1) in (REPO / ".ci" / "run").read_text().splitlines()
