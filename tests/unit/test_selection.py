from __future__ import annotations

import os
from pathlib import Path

import pytest

from globusput.errors import SelectionError
from globusput.selection import anchor_of, is_excluded, select_files


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [
        "dist/a.whl",
        "dist/sub/b.whl",
        "dist/.hidden.whl",
        "dist/.cache/c.whl",
        "docs/_build/html/index.html",
        "build/science.json",
        "x/run.log",
        "y/z/run2.log",
        ".env",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def placed(patterns: list[str], **options: object) -> dict[str, str]:
    selection = select_files(patterns, **options)  # type: ignore[arg-type]
    return {f.path: f.relative.as_posix() for f in selection.files}


@pytest.mark.parametrize(
    ("pattern", "anchor"),
    [
        ("dist/**/*.whl", "dist"),
        ("build/science.json", "build"),
        ("**/*.log", ""),
        ("dist", ""),
        ("dist/", ""),
        ("/abs/x/*.whl", "/abs/x"),
        ("/x.txt", "/"),
        ("a/{b,c}/d", "a"),
        ("a/[xy]/d", "a"),
    ],
)
def test_anchor(pattern: str, anchor: str) -> None:
    assert anchor_of(pattern) == anchor


def test_layout_rules(tree: Path) -> None:
    assert placed(["build/science.json"]) == {"build/science.json": "science.json"}
    assert placed(["dist/*.whl"]) == {"dist/a.whl": "a.whl"}
    assert placed(["dist/**/*.whl"]) == {"dist/a.whl": "a.whl", "dist/sub/b.whl": "sub/b.whl"}
    assert placed(["dist"]) == {"dist/a.whl": "dist/a.whl", "dist/sub/b.whl": "dist/sub/b.whl"}
    assert placed(["**/*.log"]) == {"x/run.log": "x/run.log", "y/z/run2.log": "y/z/run2.log"}


def test_base_dir_refuses_matches_outside(tree: Path) -> None:
    with pytest.raises(SelectionError, match="outside --base-dir"):
        select_files(["**/*.log"], base_dir="y")
    assert placed(["y/**/*.log"], base_dir="y") == {"y/z/run2.log": "z/run2.log"}


def test_hidden_files(tree: Path) -> None:
    assert ".env" not in placed(["*"])
    assert placed([".env"]) == {".env": ".env"}
    everything = placed(["dist"], include_hidden=True)
    assert everything["dist/.hidden.whl"] == "dist/.hidden.whl"
    assert everything["dist/.cache/c.whl"] == "dist/.cache/c.whl"


def test_excludes_match_files_and_folders(tree: Path) -> None:
    assert placed(["dist/**/*.whl", "!dist/sub"]) == {"dist/a.whl": "a.whl"}
    assert placed(["dist/**/*.whl", "!**/a.whl"]) == {"dist/sub/b.whl": "sub/b.whl"}
    assert is_excluded("./dist/a.whl", ["dist/*.whl"])


def test_braces_are_not_split_on_commas(tree: Path) -> None:
    # the brace is the first wildcard component, so matches keep their folder
    assert placed(["{dist,build}/*.{whl,json}"]) == {
        "dist/a.whl": "dist/a.whl",
        "build/science.json": "build/science.json",
    }


def test_unmatched_patterns_are_reported(tree: Path) -> None:
    selection = select_files(["nothing*", "missing.txt", "dist/a.whl"])
    assert selection.unmatched == ["nothing*", "missing.txt"]
    assert [f.path for f in selection.files] == ["dist/a.whl"]


def test_same_file_twice_at_the_same_place_is_kept_once(tree: Path) -> None:
    assert len(select_files(["dist/a.whl", "dist/*.whl"]).files) == 1


def test_fifo_is_refused(tree: Path) -> None:
    os.mkfifo("dist/pipe")
    with pytest.raises(SelectionError, match="FIFO"):
        select_files(["dist"])


def test_symlinks(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, "dist/link.whl")
    with pytest.raises(SelectionError, match="--follow-external-symlinks"):
        select_files(["dist/*.whl"])
    assert "dist/link.whl" in placed(["dist/*.whl"], follow_external_symlinks=True)
    os.remove("dist/link.whl")
    os.symlink("a.whl", "dist/inside.whl")
    assert "dist/inside.whl" in placed(["dist/*.whl"])
    os.symlink("loop", "dist/loop")
    with pytest.raises(SelectionError, match="broken or looping symlink"):
        select_files(["dist/loop"])


def test_symlinked_folder_loops_are_not_followed(tree: Path) -> None:
    os.symlink("..", "dist/sub/up")
    assert placed(["dist"]) == {"dist/a.whl": "dist/a.whl", "dist/sub/b.whl": "dist/sub/b.whl"}


def test_wildcards_never_enter_a_symlinked_folder_anywhere_in_a_path(tree: Path) -> None:
    os.makedirs("elsewhere/deep")
    Path("elsewhere/deep/c.whl").write_text("c")
    os.symlink("../elsewhere", "dist/linked")
    assert placed(["dist/*/deep/*.whl"]) == {}
    assert placed(["dist/**/*.whl"]) == {"dist/a.whl": "a.whl", "dist/sub/b.whl": "sub/b.whl"}
    assert "dist/linked/deep/c.whl" not in placed(["dist"])
    # named without wildcards, a symlinked folder is followed: the user asked for it
    assert placed(["dist/linked/deep/c.whl"]) == {"dist/linked/deep/c.whl": "c.whl"}
    assert placed(["dist/linked/deep/*.whl"]) == {"dist/linked/deep/c.whl": "c.whl"}


def test_a_literal_symlinked_folder_leading_outside_is_refused(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, "out")
    with pytest.raises(SelectionError, match="reached through a symlinked folder"):
        select_files(["out/secret.txt"])
    with pytest.raises(SelectionError, match="--follow-external-symlinks"):
        select_files(["out"])
    assert placed(["out"], follow_external_symlinks=True) == {"out/secret.txt": "out/secret.txt"}


def test_a_link_to_a_hidden_file_is_hidden_too(tree: Path) -> None:
    os.symlink(".hidden.whl", "dist/visible.whl")
    os.symlink("../.env", "dist/env.whl")
    assert set(placed(["dist/*.whl"])) == {"dist/a.whl"}
    assert "dist/visible.whl" in placed(["dist/*.whl"], include_hidden=True)
    assert placed(["dist/env.whl"]) == {"dist/env.whl": "env.whl"}  # named: allowed
