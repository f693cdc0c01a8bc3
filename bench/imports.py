"""Where start-up goes: ``python -X importtime`` over what an upload imports, summed per
top-level package (each module's own time), the median of several runs."""

from __future__ import annotations

import collections
import statistics
import subprocess
import sys

#: What an upload with a client's credentials imports before its first request.
UPLOAD = (
    "import globusput.cli, globusput.settings, globusput.commands.upload, globus_sdk; "
    "globus_sdk.ConfidentialAppAuthClient; globus_sdk.TransferClient"
)
#: What the original one-file script imports.
SCRIPT = (
    "import requests, globus_sdk; globus_sdk.ConfidentialAppAuthClient; globus_sdk.TransferClient"
)

#: What was done about each large import (issue 25).
DONE = {
    "pydantic": "the settings library's core: kept (the one settings model); loads while Auth "
    "answers the first token request (globusput/early.py); its teardown at exit skipped, the "
    "collector off while it loads",
    "pydantic_settings": "kept (mandated), loaded while Auth answers; it imports asyncio and its "
    "cloud sources itself",
    "pydantic_core": "loaded by pydantic",
    "globus_sdk": "as in the original script",
    "cryptography": "as in the original script (globus-sdk's Auth client loads it)",
    "jwt": "as in the original script",
    "requests": "as in the original script",
    "urllib3": "as in the original script",
    "globusput": "its own modules; --help and --version load none of the heavy ones",
    "wcmatch": "globbing (no hand-written matcher)",
}


def per_package(code: str, runs: int = 5) -> dict[str, float]:
    """Seconds of import per top-level package, median over ``runs`` fresh interpreters."""
    samples: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
        )
        totals: collections.Counter[str] = collections.Counter()
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, _, name = line.removeprefix("import time:").split("|")
            totals[name.strip().split(".")[0]] += int(own) / 1e6
        for name in set(totals) | set(samples):
            samples[name].append(totals.get(name, 0.0))
    return {name: statistics.median(values) for name, values in samples.items()}


def table() -> list[str]:
    """The markdown section: the largest packages an upload imports, against the script."""
    ours, theirs = per_package(UPLOAD), per_package(SCRIPT)
    lines = [
        "## Start-up imports (`python -X importtime`, medians of 5)",
        "",
        f"All packages: globusput's upload {sum(ours.values()):.3f} s, the original script "
        f"{sum(theirs.values()):.3f} s (`-X importtime` itself slows imports; compare the two).",
        "",
        "| package | upload s | original script s | what was done |",
        "|---|---|---|---|",
    ]
    for name, seconds in sorted(ours.items(), key=lambda item: -item[1])[:12]:
        done = DONE.get(name, "loaded by the packages above")
        lines.append(f"| {name} | {seconds:.3f} | {theirs.get(name, 0.0):.3f} | {done} |")
    return [*lines, ""]
