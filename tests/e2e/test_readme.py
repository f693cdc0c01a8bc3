"""The README's main job runs as written: the newcomer's first command must work."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
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


def test_the_served_standins_env_file_can_be_sourced(tmp_path: Path) -> None:
    """`source` it and globusput reaches the stand-in (a dry run with credentials plans
    against the collection, not locally), on the HTTPS port asked for."""
    env_file = tmp_path / "standin.env"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = subprocess.Popen(
        [sys.executable, "-m", "globusput.testing", "serve", "--dir", str(tmp_path / "s"),
         "--env-file", str(env_file), "--https-port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            if env_file.exists() and env_file.read_text().endswith("\n"):
                break
            time.sleep(0.1)
        (tmp_path / "a.txt").write_text("a")
        script = f'source {env_file} && globusput --dry-run a.txt /x/ "$GLOBUS_COLLECTION_ID"'
        env = {"PATH": f"{os.path.dirname(sys.executable)}:/usr/bin:/bin", "HOME": str(tmp_path)}
        proc = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
    finally:
        serve.terminate()
        serve.wait(10)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"would upload a.txt -> https://localhost:{port}/x/a.txt" in proc.stdout
    assert "Globus was not contacted" not in proc.stderr
