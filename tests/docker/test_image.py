"""The image run the three ways CI systems run it, against the stand-in on the host network."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from ..github_files import read_outputs
from .conftest import Setup, env_args, jenkins_agent, run_action, runner_env

pytestmark = pytest.mark.docker


def test_as_a_github_container_action(setup: Setup, image: str, tmp_path: Path) -> None:
    files = tmp_path / "file_commands"
    home = tmp_path / "github_home"
    for folder in (files, home):
        folder.mkdir()
    output_name, summary_name = f"set_output_{uuid.uuid4()}", f"step_summary_{uuid.uuid4()}"
    (files / output_name).touch()
    (files / summary_name).touch()
    before = sorted(p.name for p in setup.workspace.rglob("*"))
    env = runner_env(
        {
            "client-id": setup.client_id,
            "client-secret": setup.secret,
            "collection-id": setup.collection.id,
            "destination": "/releases/v1/",
            "path": "# wheels\ndist/**/*.whl\ndocs\n!docs/*.map\n",
        }
    )
    env.update(setup.base_env())
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "HOME": "/github/home",
            "GITHUB_WORKSPACE": "/github/workspace",
            "GITHUB_OUTPUT": f"/github/file_commands/{output_name}",
            "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary_name}",
        }
    )
    proc = run_action(
        setup, image, env, "-v", f"{files}:/github/file_commands", "-v", f"{home}:/github/home"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert setup.tree() == {
        "/releases/v1/pkg-1.0-py3-none-any.whl": b"wheel",
        "/releases/v1/sub/pkg_ext-1.0.whl": b"ext wheel",
        "/releases/v1/docs/index.html": b"<html></html>",
    }
    first = proc.stdout.splitlines()[0]
    assert first == f"::add-mask::{setup.secret}"  # masked before anything else is printed
    assert "::group::Uploading 3 files" in proc.stdout and "::endgroup::" in proc.stdout
    outputs = read_outputs(files / output_name)
    base = setup.collection.https_server
    assert sorted(json.loads(outputs["uploaded"])) == sorted(f"{base}{p}" for p in setup.tree())
    assert outputs["count"] == "3" and outputs["bytes"] == str(5 + 9 + 13)
    assert outputs["manifest"] == ""
    summary = (files / summary_name).read_text()
    assert "| ✅ uploaded | dist/pkg-1.0-py3-none-any.whl | 5 bytes |" in summary
    assert sorted(p.name for p in setup.workspace.rglob("*")) == before  # nothing written


def test_github_action_gets_and_verifies(setup: Setup, image: str, tmp_path: Path) -> None:
    """The same action with ``command: verify`` and ``command: get``, after an upload that
    wrote a manifest: the release job's check, and a later job fetching the artifacts."""
    files = tmp_path / "file_commands"
    files.mkdir()
    credentials = {
        "client-id": setup.client_id,
        "client-secret": setup.secret,
        "collection-id": setup.collection.id,
    }

    def step(inputs: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
        output = files / f"set_output_{uuid.uuid4()}"
        output.touch()
        env = runner_env({**credentials, **inputs})
        env.update(setup.base_env())
        env.update({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": f"/f/{output.name}"})
        proc = run_action(setup, image, env, "-v", f"{files}:/f")
        return proc, read_outputs(output)

    proc, _ = step({"destination": "/rel/", "path": "dist/**/*.whl", "manifest": "m.json"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc, outputs = step({"command": "verify", "from-manifest": "m.json", "verify-hash": "true"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (outputs["missing"], outputs["different"], outputs["extra"]) == ("[]", "[]", "[]")
    proc, outputs = step({"command": "get", "path": "/rel/\n", "destination": "got"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (setup.workspace / "got/rel/pkg-1.0-py3-none-any.whl").read_bytes() == b"wheel"
    assert (setup.workspace / "got/rel/sub/pkg_ext-1.0.whl").read_bytes() == b"ext wheel"
    assert outputs["count"] == "2" and "got/rel/sub/pkg_ext-1.0.whl" in outputs["fetched"]
    (setup.collection.root / "rel/pkg-1.0-py3-none-any.whl").unlink()
    proc, outputs = step({"command": "verify", "from-manifest": "m.json"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert json.loads(outputs["missing"]) == ["/rel/pkg-1.0-py3-none-any.whl"]
    assert "::error title=globusput failed::missing /rel/pkg-1.0-py3-none-any.whl" in proc.stdout


def test_github_failure_is_annotated(setup: Setup, image: str) -> None:
    setup.standin.add_fault("status", status=403, path="*pkg-1.0*", times=99)
    env = runner_env(
        {
            "client-id": setup.client_id,
            "client-secret": setup.secret,
            "collection-id": setup.collection.id,
            "destination": "/r/",
            "path": "dist/*.whl",
            "manifest": "out/manifest.json",
        }
    )
    env.update(setup.base_env())
    env["GITHUB_ACTIONS"] = "true"
    proc = run_action(setup, image, env)
    assert proc.returncode == 3
    assert re.search(
        r"^::error file=dist/pkg-1\.0-py3-none-any\.whl,title=[^:]+::"
        r"dist/pkg-1\.0-py3-none-any\.whl: permission denied \(403\)",
        proc.stdout,
        re.M,
    ), proc.stdout
    manifest = json.loads((setup.workspace / "out/manifest.json").read_text())
    assert manifest["failed"] == 1


def test_as_a_gitlab_ci_image(setup: Setup, image: str) -> None:
    env = {
        **setup.base_env(),
        "GITLAB_CI": "true",
        "GLOBUS_CLIENT_ID": setup.client_id,
        "GLOBUS_CLIENT_SECRET": setup.secret,
        "GLOBUS_COLLECTION_ID": setup.collection.id,
    }
    script = (
        "cd /builds/group/project"
        ' && globusput --manifest m.json "dist/*.whl" /gitlab/ "$GLOBUS_COLLECTION_ID"'
        " && globusput verify m.json && globusput get --from-manifest m.json got"
    )
    proc = setup.docker(
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        f"{setup.workspace}:/builds/group/project",
        *setup.mounts(),
        *env_args(env),
        image,
        "sh",
        "-c",
        script,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert setup.tree() == {"/gitlab/pkg-1.0-py3-none-any.whl": b"wheel"}
    assert "\x1b[0Ksection_start:" in proc.stdout and "\x1b[0Ksection_end:" in proc.stdout
    assert "1 of 1 files as recorded (same size)" in proc.stdout
    assert (setup.workspace / "got/gitlab/pkg-1.0-py3-none-any.whl").read_bytes() == b"wheel"


def test_as_a_jenkins_agent_container(setup: Setup, image: str) -> None:
    """docker.image(...).inside: a non-root uid, the workspace at its own path, `cat` kept
    running through the image's entrypoint, then `sh` steps through docker exec."""
    with jenkins_agent(setup, image) as name:
        creds = {"GLOBUS_CLIENT_ID": setup.client_id, "GLOBUS_CLIENT_SECRET": setup.secret}
        proc = setup.docker(
            "exec",
            *env_args(creds),
            name,
            "sh",
            "-c",
            f"globusput --manifest /tmp/m.json 'dist/**/*.whl' /jenkins/ "
            f"{setup.collection.id} && globusput verify --hash /tmp/m.json"
            " && globusput get --from-manifest /tmp/m.json /tmp/got"
            " && cat /tmp/got/jenkins/sub/pkg_ext-1.0.whl && echo && id -u",
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.strip().splitlines()[-2:] == ["ext wheel", "1234"]
        assert "2 of 2 files as recorded (same size and SHA-256)" in proc.stdout
        assert setup.tree() == {
            "/jenkins/pkg-1.0-py3-none-any.whl": b"wheel",
            "/jenkins/sub/pkg_ext-1.0.whl": b"ext wheel",
        }
