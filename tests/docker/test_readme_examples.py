"""The README's quick starts, copied as a user would and run in their CI shapes against the
image built here: the documentation cannot drift from what works."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, Setup, env_args, jenkins_agent, run_action, runner_env

pytestmark = pytest.mark.docker
TAG = "v1.0.0"


def quick_starts() -> list[str]:
    readme = (REPO / "README.md").read_text()
    quick = readme.split("\n## Quick start in CI\n", 1)[1].split("\n## ", 1)[0]
    return [code for _, code in re.findall(r"```(\w*)\n(.*?)```", quick, re.S)]


def filled(text: str, setup: Setup, **more: str) -> str:
    """What a user puts in: their collection, their secrets, the CI system's values."""
    values = {
        "secrets.GLOBUS_CLIENT_ID": setup.client_id,
        "secrets.GLOBUS_CLIENT_SECRET": setup.secret,
        "github.event.release.tag_name": TAG,
        **more,
    }

    def expression(match: re.Match[str]) -> str:
        return values[match.group(1)]  # an expression the README uses that no test fills fails

    text = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", expression, text)
    return text.replace("<collection-uuid>", setup.collection.id)


def action_steps(code: str) -> list[dict[str, Any]]:
    loaded = yaml.safe_load(textwrap.dedent(code))
    steps = loaded["jobs"]["upload"]["steps"] if isinstance(loaded, dict) else loaded
    return [s for s in steps if str(s.get("uses", "")).startswith("globusput/globusput@")]


def test_the_readmes_github_example(setup: Setup, image: str, tmp_path: Path) -> None:
    (setup.workspace / "dist/pkg-1.0.tar.gz").write_bytes(b"sdist")
    (setup.workspace / "dist/pkg-1.0.tar.gz").chmod(0o644)
    upload, more = quick_starts()[:2]
    steps = [*action_steps(upload), *action_steps(more)]
    assert [s["with"].get("command", "upload") for s in steps] == ["upload", "get", "verify"]
    for step in steps:
        inputs = {
            k: filled(str(v).lower() if v is True else str(v), setup)
            for k, v in step["with"].items()
        }
        env = runner_env(inputs)
        env.update(setup.base_env())
        env["GITHUB_ACTIONS"] = "true"
        proc = run_action(setup, image, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert setup.tree() == {
        f"/releases/{TAG}/pkg-1.0-py3-none-any.whl": b"wheel",
        f"/releases/{TAG}/pkg-1.0.tar.gz": b"sdist",
    }
    got = setup.workspace / "downloads/releases" / TAG
    assert sorted(p.name for p in got.iterdir()) == ["pkg-1.0-py3-none-any.whl", "pkg-1.0.tar.gz"]
    assert "2 of 2 files as recorded (same size and SHA-256)" in proc.stdout


def test_the_readmes_gitlab_example(setup: Setup, image: str) -> None:
    jobs = yaml.safe_load(filled(quick_starts()[2], setup))
    assert "-m build" in " ".join(jobs["build"]["script"]) and jobs["upload"]["needs"] == ["build"]
    job = jobs["upload"]
    assert job["image"].startswith("ghcr.io/globusput/globusput:")
    env = {
        **setup.base_env(),
        **{k: str(v) for k, v in job["variables"].items()},
        "GITLAB_CI": "true",
        "CI_COMMIT_TAG": TAG,  # the job's rule: tags only
        "GLOBUS_CLIENT_ID": setup.client_id,
        "GLOBUS_CLIENT_SECRET": setup.secret,
    }
    proc = setup.docker(
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        f"{setup.workspace}:/builds/group/project",
        "-w",
        "/builds/group/project",
        *setup.mounts(),
        *env_args(env),
        image,
        "sh",
        "-c",
        " && ".join(job["script"]),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert setup.tree() == {f"/builds/{TAG}/pkg-1.0-py3-none-any.whl": b"wheel"}
    assert "1 of 1 files as recorded (same size)" in proc.stdout
    assert (setup.workspace / job["artifacts"]["paths"][0]).is_file()


def test_the_readmes_jenkins_example(setup: Setup, image: str) -> None:
    pipeline = filled(quick_starts()[3], setup)
    assert re.search(r"docker\.image\('ghcr\.io/globusput/globusput:v\d+'\)\.inside", pipeline)
    commands = re.findall(r"sh '([^']*)'", pipeline)
    # the Build stage makes the wheels (its python image is not pulled here: dist/ is made
    # by the setup); the Upload stage's command is run as the agent would
    assert any("-m build" in c for c in commands)
    (command,) = [c for c in commands if c.startswith("globusput ")]
    with jenkins_agent(setup, image) as name:
        env = {
            "GLOBUS_CLIENT_ID": setup.client_id,  # withCredentials(usernamePassword(...))
            "GLOBUS_CLIENT_SECRET": setup.secret,
            "BUILD_NUMBER": "7",
            "JENKINS_URL": "http://jenkins:8080/",
        }
        proc = setup.docker("exec", *env_args(env), name, "sh", "-c", command)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert setup.tree() == {"/builds/7/pkg-1.0-py3-none-any.whl": b"wheel"}
