"""Run the mutant set: each change of ``catalogue.py`` alone, in a scratch copy of the tree,
against the tests that must catch it. Exit 1 if any change survives (its tests pass), if a
change no longer fits the code, or if the tests fail before any change.

    python tests/mutants/run.py              # all, a few minutes
    python tests/mutants/run.py --only NAME  # one (repeatable); --list names them

Not part of ``.ci/run`` (too slow for every push): a scheduled workflow runs it
(``.github/workflows/mutants.yml``), and it is run by hand before a release.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.mutants.catalogue import CATALOGUE, Mutant  # noqa: E402


def scratch_copy() -> Path:
    """The tracked tree (and what is staged) in a new folder, with a venv that runs it."""
    where = Path(tempfile.mkdtemp(prefix="globusput-mutants-"))
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = REPO / name.decode()
        if source.is_file():
            (where / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, where / name.decode())
    subprocess.run([sys.executable, "-m", "venv", str(where / ".venv")], check=True)
    pip = [str(where / ".venv/bin/pip"), "install", "-q", "-e", f"{where}[test]"]
    done = subprocess.run(pip, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"installing the scratch copy failed:\n{done.stderr}")
    return where


def pytest(tree: Path, tests: tuple[str, ...]) -> tuple[bool, float]:
    started = time.monotonic()
    done = subprocess.run(
        [
            str(tree / ".venv/bin/python"),
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            *tests,
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return done.returncode == 0, time.monotonic() - started


def judge(tree: Path, mutant: Mutant) -> tuple[str, float]:
    path = tree / mutant.file
    original = path.read_text()
    if original.count(mutant.old) != 1:
        return "does not fit the code", 0.0
    path.write_text(original.replace(mutant.old, mutant.new))
    try:
        passed, seconds = pytest(tree, mutant.tests)
    finally:
        path.write_text(original)
    return ("SURVIVED" if passed else "killed"), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="run this mutant")
    parser.add_argument("--list", action="store_true", help="name every mutant and stop")
    args = parser.parse_args()
    chosen = [m for m in CATALOGUE if not args.only or m.name in args.only]
    if args.list or not chosen:
        for mutant in CATALOGUE:
            print(f"{mutant.name}: breaks '{mutant.guarantee}' in {mutant.file}")
        return 0 if args.list else 2
    tree = scratch_copy()
    try:
        tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        passed, seconds = pytest(tree, tests)
        print(f"unchanged tree: {'pass' if passed else 'FAIL'} ({seconds:.0f} s)", flush=True)
        if not passed:
            return 1
        bad = 0
        for mutant in chosen:
            verdict, seconds = judge(tree, mutant)
            bad += verdict != "killed"
            print(f"{mutant.name}: {verdict} ({seconds:.0f} s) - {mutant.guarantee}", flush=True)
        print(f"{len(chosen) - bad} of {len(chosen)} mutants killed")
        return 1 if bad else 0
    finally:
        shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
