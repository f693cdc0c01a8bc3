"""The release chores (.github/release.py) and the one version the tree carries."""

from __future__ import annotations

import datetime
import importlib.util
import shutil
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


def test_the_moving_tags_of_a_release() -> None:
    assert release.moving_tags("1.4.2") == ["v1", "v1.4"]
    with pytest.raises(release.ReleaseError):
        release.moving_tags("1.4")


def test_a_released_action_runs_the_published_image() -> None:
    action = files()[release.ACTION]
    pinned = release.pin_image(action, "ghcr.io/globusput/globusput", "1.4.2")
    runs = yaml.safe_load(pinned)["runs"]
    assert runs["using"] == "docker"
    assert runs["image"] == "docker://ghcr.io/globusput/globusput:1.4.2"
    assert yaml.safe_load(action)["runs"]["image"] == "Dockerfile"  # main builds its own
    with pytest.raises(release.ReleaseError, match="should say 'image: Dockerfile' once"):
        release.pin_image(pinned, "ghcr.io/globusput/globusput", "1.4.2")


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
    assert release.main(["pin-image", "3.0.0", "ghcr.io/Owner/Repo"], tmp_path) == 0
    assert "image: docker://ghcr.io/owner/repo:3.0.0" in (tmp_path / "action.yml").read_text()
    assert release.main(["tags", "3.0.0"], tmp_path) == 0
    assert capsys.readouterr().out.split() == ["v3", "v3.0"]
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
