"""Build the image once from this repository's Dockerfile on a local base, if Docker runs.

Without an engine the tests skip with the reason, unless GLOBUSPUT_REQUIRE_DOCKER=1 (set by
.ci/run, which installs and starts one) turns that into a failure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def image() -> str:
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
    subprocess.run(
        [
            "docker",
            "build",
            "--network",
            "host",
            "--build-arg",
            f"BASE_IMAGE={base}",
            "-t",
            IMAGE,
            str(REPO),
        ],
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
