"""The release chores (.github/release.py) and the one version the tree carries."""

from __future__ import annotations

import datetime
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release", REPO / ".github/release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["release"] = module
    spec.loader.exec_module(module)
    return module


release = _load()
TODAY = datetime.date(2027, 1, 2)
IMAGE = "ghcr.io/globusput/globusput@sha256:" + "ab" * 32


def files() -> dict[str, str]:
    return {
        name: (REPO / name).read_text()
        for name in (release.INIT, release.DOCKERFILE, release.CHANGELOG, release.ACTION)
    }


def test_the_package_the_image_label_and_the_changelog_name_one_version() -> None:
    found = release.versions(files())
    assert len(set(found.values())) == 1, found
    from globusput import __version__

    assert found[release.INIT] == __version__


def test_prepare_sets_every_place_and_dates_the_changelog() -> None:
    before = files()
    after = release.prepare("2.3.4", before, TODAY)
    assert release.versions(after) == dict.fromkeys(release.versions(before), "2.3.4")
    assert "## 2.3.4 (2027-01-02)" in after[release.CHANGELOG]
    assert after[release.ACTION] == before[release.ACTION]
    # nothing else moved: one line each
    for name in (release.INIT, release.DOCKERFILE, release.CHANGELOG):
        changed = set(after[name].splitlines()) ^ set(before[name].splitlines())
        assert len(changed) == 2, (name, changed)
    assert release.check("v2.3.4", after) == "2.3.4"


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("v9.9.9", "tag v9.9.9, but globusput/__init__.py says"),
        ("1.0.0", "is not a release tag"),
        ("v1.0", "is not a release tag"),
    ],
)
def test_check_refuses_a_tag_the_tree_does_not_carry(tag: str, words: str) -> None:
    with pytest.raises(release.ReleaseError, match=words):
        release.check(tag, release.prepare("1.0.0", files(), TODAY))


def test_check_refuses_a_changelog_section_still_pending() -> None:
    tree = release.prepare("1.0.0", files(), TODAY)
    tree[release.CHANGELOG] = tree[release.CHANGELOG].replace("(2027-01-02)", "(unreleased)")
    with pytest.raises(release.ReleaseError, match="still 'unreleased'"):
        release.check("v1.0.0", tree)


@pytest.mark.parametrize(
    ("version", "existing", "moved"),
    [
        ("1.4.2", [], ["v1", "v1.4"]),
        ("1.0.0", ["v1.0.0"], ["v1", "v1.0"]),  # the tag being released is there already
        ("1.2.0", ["v1.0.0", "v1.1.0", "v1", "v1.1"], ["v1", "v1.2"]),  # a second release
        ("1.1.5", ["v1.1.4", "v1.2.0", "v1", "v1.2", "v1.1"], ["v1.1"]),  # a backport
        ("0.9.9", ["v1.0.0", "v0.9.10"], []),  # older than everything it would name
        ("2.0.0-rc1", [], None),  # not a release
    ],
)
def test_moving_tags_only_move_forward(
    version: str, existing: list[str], moved: list[str] | None
) -> None:
    if moved is None:
        with pytest.raises(release.ReleaseError):
            release.moving_tags(version, existing)
    else:
        assert release.moving_tags(version, existing) == moved


def test_a_released_action_runs_the_published_image_by_digest() -> None:
    action = files()[release.ACTION]
    pinned = release.pin_image(action, IMAGE, "1.4.2")
    runs = yaml.safe_load(pinned)["runs"]
    assert runs["using"] == "docker"
    assert runs["image"] == f"docker://{IMAGE}"
    assert yaml.safe_load(action)["runs"]["image"] == "Dockerfile"  # main builds its own
    with pytest.raises(release.ReleaseError, match="should say 'image: Dockerfile' once"):
        release.pin_image(pinned, IMAGE, "1.4.2")
    with pytest.raises(release.ReleaseError, match="not an image named by digest"):
        release.pin_image(action, "ghcr.io/globusput/globusput:1.4.2", "1.4.2")


def test_prepare_renames_only_a_pending_section() -> None:
    """A second release must not rename the first one's heading."""
    tree = release.prepare("1.0.0", files(), TODAY)
    with pytest.raises(release.ReleaseError, match="add a '## Unreleased' section"):
        release.prepare("1.1.0", tree, TODAY)
    tree[release.CHANGELOG] = tree[release.CHANGELOG].replace(
        "## 1.0.0 (2027-01-02)", "## Unreleased\n\n- more\n\n## 1.0.0 (2027-01-02)"
    )
    after = release.prepare("1.1.0", tree, datetime.date(2027, 2, 3))[release.CHANGELOG]
    assert "## 1.1.0 (2027-02-03)" in after and "## 1.0.0 (2027-01-02)" in after


def test_the_commands_on_a_copy_of_the_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (release.INIT, release.DOCKERFILE, release.CHANGELOG, release.ACTION):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    assert release.main(["check", "v3.0.0"], tmp_path) == 1
    assert "run 'python .github/release.py prepare 3.0.0'" in capsys.readouterr().err
    assert release.main(["prepare", "3.0.0"], tmp_path) == 0
    assert release.main(["check", "v3.0.0"], tmp_path) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "3.0.0"
    assert (
        release.main(["pin-image", "3.0.0", IMAGE.replace("globusput/", "Owner/")], tmp_path) == 0
    )
    assert (
        "image: docker://ghcr.io/owner/globusput@sha256:" in (tmp_path / "action.yml").read_text()
    )
    assert release.main(["tags", "3.0.0", "v3.1.0"], tmp_path) == 0
    assert capsys.readouterr().out.split() == ["v3.0"]
    assert release.main(["bump"], tmp_path) == 2


def test_workflows_pin_every_third_party_action_by_commit() -> None:
    """A moved tag of someone else's action cannot change what a release runs."""
    import re

    found = 0
    for path in [*REPO.glob(".github/workflows/*.yml"), *REPO.glob(".github/examples/*.yml")]:
        for ref in re.findall(r"uses:\s*(\S+)", path.read_text()):
            if ref.startswith("./") or ref.startswith("globusput/globusput@"):
                continue  # this repository's own action
            found += 1
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref}"
    assert found >= 10


# -- rehearsal: the workflow's own shell steps, run as GitHub runs them ----------------------

WORKFLOW = yaml.safe_load((REPO / ".github/workflows/release.yml").read_text())
TREE = [release.INIT, release.DOCKERFILE, release.CHANGELOG, release.ACTION, ".github/release.py"]


def step(job: str, name: str) -> str:
    """The ``run:`` of a release workflow step, found by its job and the start of its name."""
    for found in WORKFLOW["jobs"][job]["steps"]:
        if str(found.get("name", "")).startswith(name):
            return str(found["run"])
    raise AssertionError(f"no step {name!r} in job {job!r}")


def github_bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """As GitHub runs a ``run:`` step: bash --noprofile --norc -eo pipefail {0}."""
    path = cwd / ".step.sh"
    path.write_text(script)
    environ = {"PATH": os.environ["PATH"], "HOME": str(cwd), **env}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=cwd, env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def copy_tree(to: Path) -> None:
    for name in TREE:
        (to / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, to / name)


def test_a_wrong_tag_fails_the_version_check_before_anything_is_published(tmp_path: Path) -> None:
    """`echo "version=$(check)"` used to pass with an empty version."""
    copy_tree(tmp_path)
    output = tmp_path / "output"
    script = step("check", "the tag, the package")
    result = github_bash(script, tmp_path, GITHUB_REF_NAME="v9.9.9", GITHUB_OUTPUT=str(output))
    assert result.returncode != 0 and "run 'python .github/release.py prepare 9.9.9'" in (
        result.stderr
    )
    assert "version=" not in (output.read_text() if output.exists() else "")
    assert release.main(["prepare", "9.9.9"], tmp_path) == 0
    result = github_bash(script, tmp_path, GITHUB_REF_NAME="v9.9.9", GITHUB_OUTPUT=str(output))
    assert result.returncode == 0, result.stderr
    assert output.read_text() == "version=9.9.9\n"
    needs = {job: set(spec.get("needs", [])) for job, spec in WORKFLOW["jobs"].items()}
    assert {"check", "tests"} <= needs["dist"] and {"check", "tests"} <= needs["image"]
    assert {"check", "dist"} <= needs["pypi"]


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "m", "GIT_AUTHOR_EMAIL": "m@example.org",
           "GIT_COMMITTER_NAME": "m", "GIT_COMMITTER_EMAIL": "m@example.org"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_tags_only_move_forward_and_the_maintainers_tag_stays(tmp_path: Path) -> None:
    """A first release, a second, then a backport, against a bare repository: vX.Y.Z stays
    where the maintainer pushed it (their next `git fetch --tags` works), vX.Y and vX point
    at a commit on top whose action.yml runs the image by digest, and never move back."""
    origin, maintainer = tmp_path / "origin.git", tmp_path / "maintainer"
    git(tmp_path, "init", "--bare", "-q", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(maintainer))
    copy_tree(maintainer)

    def release_commit(version: str, branch: str = "main") -> str:
        git(maintainer, "checkout", "-q", "-B", branch)
        changelog = maintainer / release.CHANGELOG
        changelog.write_text(f"# Changelog\n\n## Unreleased\n\n- {version}\n\n" + (
            changelog.read_text().split("\n", 1)[1] if "## " in changelog.read_text() else ""
        ))  # fmt: skip
        assert release.main(["prepare", version], maintainer) == 0
        git(maintainer, "add", "-A")
        git(maintainer, "commit", "-qm", f"Release {version}")
        git(maintainer, "tag", f"v{version}")
        git(maintainer, "push", "-q", "origin", branch, f"v{version}")
        return git(maintainer, "rev-parse", "HEAD")

    def run_workflow(version: str) -> None:
        runner = tmp_path / f"runner-{version}"
        git(tmp_path, "clone", "-q", str(origin), str(runner))
        git(runner, "checkout", "-q", f"v{version}")
        image = "ghcr.io/globusput/globusput@sha256:" + version.replace(".", "")[:1] * 64
        script = step("tags", "a commit on top of vX.Y.Z")
        result = github_bash(script, runner, VERSION=version, IMAGE=image)
        assert result.returncode == 0, result.stderr

    def at(tag: str) -> str:
        return git(origin, "rev-parse", f"{tag}^{{commit}}")

    first = release_commit("1.0.0")
    run_workflow("1.0.0")
    assert at("v1.0.0") == first and at("v1") == at("v1.0") != first
    assert git(origin, "rev-parse", "v1^") == first
    assert "image: docker://ghcr.io/globusput/globusput@sha256:" in git(
        origin, "show", "v1:action.yml"
    )
    second = release_commit("1.1.0")
    run_workflow("1.1.0")
    assert at("v1.1.0") == second and at("v1") == at("v1.1") != second
    v1 = at("v1")
    git(maintainer, "checkout", "-q", "v1.0.0")
    backport = release_commit("1.0.1", branch="release-1.0")
    run_workflow("1.0.1")
    assert at("v1.0.1") == backport and git(origin, "rev-parse", "v1.0^") == backport
    assert at("v1") == v1  # a backport never takes v1 back
    git(maintainer, "fetch", "-q", "--tags")  # no "would clobber existing tag"
    assert git(maintainer, "rev-parse", "v1.0.0") == first


def test_dependabot_can_follow_the_base_image() -> None:
    """Dependabot reads literal image names in FROM lines, not build arguments: the base is
    named once, literally, and every other stage starts from it."""
    froms = [
        line.split()[1:]
        for line in (REPO / "Dockerfile").read_text().splitlines()
        if line.startswith("FROM ")
    ]
    assert froms[0][1:] == ["AS", "base"] and "$" not in froms[0][0] and ":" in froms[0][0]
    assert all(words[0] == "base" for words in froms[1:]), froms
    updates = yaml.safe_load((REPO / ".github/dependabot.yml").read_text())["updates"]
    assert {"package-ecosystem": "docker", "directory": "/"}.items() <= next(
        u for u in updates if u["package-ecosystem"] == "docker"
    ).items()
