"""Build the image once from this repository's Dockerfile on a local base, if Docker runs.

Without an engine the tests skip with the reason, unless GLOBUSPUT_REQUIRE_DOCKER=1 (set by
.ci/run, which installs and starts one) turns that into a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from globusput.testing import StandIn

REPO = Path(__file__).resolve().parents[2]
IMAGE = "globusput:test"


def _docker_works() -> str | None:
    try:
        proc = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no docker client: {exc}"
    if proc.returncode:
        return "no Docker engine answers (start dockerd): " + proc.stderr.strip()[:200]
    return None


def on_base(dockerfile: str, base: str) -> str:
    """The Dockerfile with its one base line pointing at ``base``: the line Dependabot bumps
    is the line the tests replace, so a second base line or a renamed stage fails here."""
    lines = re.findall(r"^FROM (\S+) AS base$", dockerfile, flags=re.MULTILINE)
    assert len(lines) == 1, f"the Dockerfile must name its base once (FROM ... AS base): {lines}"
    return dockerfile.replace(f"FROM {lines[0]} AS base", f"FROM {base} AS base", 1)


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    problem = _docker_works()
    if problem:
        if os.environ.get("GLOBUSPUT_REQUIRE_DOCKER") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    base = os.environ.get("GLOBUSPUT_TEST_BASE_IMAGE", "globusput-test-base:bookworm")
    if base.startswith("globusput-test-base"):
        subprocess.run(
            ["bash", str(REPO / "tests/docker/make-base-image.sh"), base],
            check=True,
            capture_output=True,
            timeout=900,
        )
    dockerfile = tmp_path_factory.mktemp("image") / "Dockerfile"
    dockerfile.write_text(on_base((REPO / "Dockerfile").read_text(), base))
    subprocess.run(
        ["docker", "build", "--network", "host", "-f", str(dockerfile), "-t", IMAGE, str(REPO)],
        check=True,
        capture_output=True,
        timeout=900,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    return IMAGE


@pytest.fixture(scope="session")
def docker_standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


class Setup:
    def __init__(self, standin: StandIn, tmp_path: Path) -> None:
        standin.reset()
        self.standin = standin
        self.client_id, self.secret = standin.add_client()
        self.collection = standin.add_collection(grant=[self.client_id])
        self.tmp_path = tmp_path
        self.workspace = tmp_path / "workspace"
        for name, data in {
            "dist/pkg-1.0-py3-none-any.whl": b"wheel",
            "dist/sub/pkg_ext-1.0.whl": b"ext wheel",
            "docs/index.html": b"<html></html>",
        }.items():
            path = self.workspace / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for path in [tmp_path, *tmp_path.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)  # readable by a non-root uid

    def base_env(self) -> dict[str, str]:
        env = self.standin.environment()
        env["GLOBUS_SDK_VERIFY_SSL"] = "/standin/ca.pem"
        return env

    def docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)
        self.check_no_secret(proc.stdout + proc.stderr)
        return proc

    def check_no_secret(self, output: str) -> None:
        """Neither the output nor any file the container wrote (outputs, summary, manifest)
        holds the secret or any token ever issued, revoked ones included."""
        visible = "\n".join(x for x in output.splitlines() if not x.startswith("::add-mask::"))
        files = [p for p in self.tmp_path.rglob("*") if p.is_file() and not p.is_symlink()]
        for token in [self.secret, *self.standin.issued]:
            assert token not in visible
            for path in files:
                assert token.encode() not in path.read_bytes(), f"a secret or token in {path}"

    def mounts(self) -> list[str]:
        return ["-v", f"{self.standin.ca_path}:/standin/ca.pem:ro"]

    def tree(self) -> dict[str, bytes]:
        return self.collection.tree()

    def close(self) -> None:
        assert self.collection.server is not None
        self.collection.server.shutdown()
        del self.standin.collections[self.collection.id]


@pytest.fixture
def setup(docker_standin: StandIn, tmp_path: Path) -> Iterator[Setup]:
    s = Setup(docker_standin, tmp_path)
    yield s
    s.close()


def runner_env(with_inputs: dict[str, str]) -> dict[str, str]:
    """What GitHub's runner derives from action.yml: INPUT_* (hyphens kept) and runs.env."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    inputs = {
        name: str(with_inputs.get(name, spec.get("default", "")))
        for name, spec in action["inputs"].items()
    }
    unknown = set(with_inputs) - set(inputs)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    env = {f"INPUT_{name.replace(' ', '_').upper()}": value for name, value in inputs.items()}
    for name, expression in action["runs"]["env"].items():
        env[name] = re.sub(
            r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], str(expression)
        )
    return env


def run_action(
    setup: Setup, image: str, env: dict[str, str], *mounts: str
) -> subprocess.CompletedProcess[str]:
    """``docker run`` as GitHub's runner does it for a container action."""
    return setup.docker(
        "run",
        "--rm",
        "--network",
        "host",
        "--workdir",
        "/github/workspace",
        "-v",
        f"{setup.workspace}:/github/workspace",
        *mounts,
        *setup.mounts(),
        *env_args(env),
        image,
    )


def env_args(env: dict[str, str]) -> list[str]:
    return [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]


@contextlib.contextmanager
def jenkins_agent(setup: Setup, image: str) -> Iterator[str]:
    """``docker.image(...).inside``: a non-root uid, the workspace at its own path, ``cat``
    kept running through the image's entrypoint; ``sh`` steps then go through ``docker exec``
    (the container's name is yielded)."""
    ws = str(setup.workspace)
    name = f"globusput-jenkins-{uuid.uuid4().hex[:8]}"
    started = setup.docker(
        "run", "-d", "-t", "--name", name, "--network", "host", "-u", "1234:1234",
        "-w", ws, "-v", f"{ws}:{ws}", *setup.mounts(), *env_args(setup.base_env()),
        image, "cat",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        yield name
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)
