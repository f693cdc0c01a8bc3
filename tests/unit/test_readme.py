"""The README as a user reads it: every error message explained, examples ready to copy,
contents that lead somewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
#: Exceptions whose message reaches the user as an error line (a file's, or the run's).
SHOWN = {
    "AuthError",
    "CollectionError",
    "ConfigError",
    "DestinationError",
    "FetchFailed",
    "Mismatch",
    "Permanent",
    "PlacementFailed",
    "Retryable",
    "SelectionError",
    "ServiceError",
    "SettingsError",
    "TaskFailed",
    "UploadFailed",
    "VerifyFailed",
}


def section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _pieces(node: ast.expr) -> list[str]:
    """A message's literal text, with a NUL where a value is filled in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) else "\0" for v in node.values]  # type: ignore[misc]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_pieces(node.left), "\0", *_pieces(node.right)]
    return ["\0"]


def message_keys() -> dict[str, str]:
    """For every message written in the code: the first six words of its longest literal
    stretch (what a reader of the log would search for), and where it is raised."""
    keys: dict[str, str] = {}
    for path in sorted((REPO / "globusput").rglob("*.py")):
        if "testing" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in SHOWN or not node.args:
                continue
            stretches = "".join(_pieces(node.args[0])).split("\0")
            words = [s.strip(" :;,.'\"()") for s in stretches]
            words = [w for w in words if len(w) >= 12]
            if words:
                key = " ".join(max(words, key=len).split()[:6])
                keys.setdefault(key, f"{path.name}:{node.lineno}")
    return keys


def test_every_error_message_is_in_the_troubleshooting_table() -> None:
    keys = message_keys()
    assert len(keys) > 60  # the extraction still finds the messages
    table = section("Troubleshooting")
    missing = {key: where for key, where in keys.items() if f"`{key}" not in table}
    assert not missing, f"add rows to the README's Troubleshooting for {missing}"


def test_the_contents_lead_to_headings() -> None:
    slugs = set()
    for heading in re.findall(r"^#{2,3} (.+)$", README, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        slugs.add(slug)
    contents = README.split("**Contents:**", 1)[1].split("\n\n", 1)[0]
    anchors = re.findall(r"\]\(#([^)]+)\)", contents)
    assert len(anchors) > 15
    assert [a for a in anchors if a not in slugs] == []


def test_the_quick_starts_use_placeholders_and_gitlab_runs_for_tags_only() -> None:
    quick = section("Quick start in CI")
    blocks = re.findall(r"```(\w*)\n(.*?)```", quick, re.S)
    assert [kind for kind, _ in blocks] == ["yaml", "yaml", "yaml", "groovy", ""]
    for _, code in blocks:
        assert "6528bad5" not in code  # the stand-in's demo id is no user's collection
    assert all("<collection-uuid>" in code for _, code in blocks if "collection" in code)
    gitlab = yaml.safe_load(blocks[2][1])["upload"]
    assert gitlab["rules"] == [{"if": "$CI_COMMIT_TAG"}]
    assert "Linux runners" in quick


def test_the_reference_comes_after_what_a_newcomer_needs() -> None:
    order = [
        "Try it (two commands)",
        "Quick start in CI",
        "Before you start",
        "At a terminal",
        "Reference",
        "Troubleshooting",
        "The local Globus stand-in",
        "Performance",
        "Development",
    ]
    found = [h for h in re.findall(r"^## (.+)$", README, re.M) if h in order]
    assert found == order
