"""The layout's rules, checked: ``--help`` stays light, imports go one way, modules and
functions stay small enough to read."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "globusput"
#: The only imports inside functions, each for a reason the layout cannot give: the command
#: line loads the settings model and the chosen command after parsing (``--help`` answers
#: first), and tqdm (a tenth of a second) is loaded only when a terminal shows a bar.
LAZY = {
    ("globusput/cli.py", "globusput.early"),
    ("globusput/cli.py", "globusput.report"),
    ("globusput/cli.py", "globusput.settings"),
    ("globusput/progress.py", "tqdm"),
}
HEAVY = ("globus_sdk", "requests", "urllib3", "pydantic", "pydantic_settings")


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that ``path`` imports anywhere (type-checking imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.split(".")[0] == package}


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["get", "--help"], ["verify", "--help"], ["login", "--help"]],
)
def test_help_loads_neither_globus_sdk_nor_the_http_stack(argv: list[str]) -> None:
    code = (
        "import json, sys\n"
        "from globusput.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip(), "the help was not printed"
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_imports_inside_functions_are_only_the_deliberate_ones() -> None:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    found.add((path.relative_to(REPO).as_posix(), node.module))
                elif isinstance(node, ast.Import):
                    found.update((path.relative_to(REPO).as_posix(), a.name) for a in node.names)
    assert found == LAZY


@pytest.mark.parametrize("package", ["globusput", "bench"])
def test_no_import_circles(package: str) -> None:
    graph = {
        name: {m for m in imported(path, package) if m in modules(REPO / package) and m != name}
        for name, path in modules(REPO / package).items()
    }
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError(" -> ".join([*path[path.index(name) :], name]))
        if name in done:
            return
        for other in sorted(graph[name]):
            if other != name.rpartition(".")[0]:  # a module may import its package's face
                visit(other, [*path, name])
        done.add(name)

    for name in graph:
        visit(name, [])


def test_the_commands_are_imported_by_the_command_line_alone() -> None:
    """Nothing below the commands reaches up into them."""
    for name, path in modules(PACKAGE).items():
        if name.startswith("globusput.commands") or name == "globusput.cli":
            continue
        assert not {m for m in imported(path, "globusput") if "commands" in m}, name


@pytest.mark.parametrize("root", ["globusput", "bench"])
def test_modules_and_functions_stay_small(root: str) -> None:
    for path in (REPO / root).rglob("*.py"):
        lines = path.read_text().count("\n")
        if root == "globusput":
            assert lines <= 300, f"{path.relative_to(REPO)}: {lines} lines"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= 60, f"{path.relative_to(REPO)}:{node.name}: {length} lines"


def test_every_mutant_still_fits_the_code_and_names_real_tests() -> None:
    """A change the code no longer holds would test nothing: caught here, on every push,
    rather than by the weekly mutant run."""
    from tests.mutants.catalogue import CATALOGUE

    for mutant in CATALOGUE:
        count = (REPO / mutant.file).read_text().count(mutant.old)
        assert count == 1, f"{mutant.name}: its text occurs {count} times in {mutant.file}"
        for test in mutant.tests:
            path, _, name = test.partition("::")
            source = (REPO / path).read_text()
            assert not name or f"def {name.split('[')[0]}(" in source, f"{mutant.name}: {test}"
