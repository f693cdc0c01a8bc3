"""The distributions a release publishes pass the checks the pinned publishing action makes
(`twine check`, with the twine that action runs: .github/publish-twine.txt), and carry the
licence. Installs from PyPI into a fresh venv: about half a minute."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from .conftest import REPO


def test_the_distributions_pass_the_publishing_actions_twine_check(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "-q", "build==1.2.2.post1"]
    subprocess.run([*pip, "-r", str(REPO / ".github/publish-twine.txt")], check=True)
    dist = tmp_path / "dist"
    subprocess.run(
        [str(venv / "bin/python"), "-m", "build", "-o", str(dist), str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    check = subprocess.run(
        [str(venv / "bin/twine"), "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("/METADATA"))).decode()
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert "License-Expression: Apache-2.0" in metadata and "Project-URL: Issues" in metadata
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        assert any(n.endswith("/LICENSE") for n in sdist.getnames())
