"""Reading what GitHub's runner would read from the files a step writes."""

from __future__ import annotations

from pathlib import Path


def read_outputs(path: Path) -> dict[str, str]:
    """``GITHUB_OUTPUT``: ``name<<DELIMITER`` lines, the value, then the delimiter."""
    outputs, lines = {}, iter(path.read_text().splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        value = []
        for inner in lines:
            if inner == delimiter:
                break
            value.append(inner)
        outputs[name] = "\n".join(value)
    return outputs
