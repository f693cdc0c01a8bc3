"""What a selection must not be, decided before anything is sent: credentials, no matches,
runs too big for one HTTPS request per file."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from globusput.errors import SelectionError
from globusput.selection import LocalFile
from globusput.vetting import MANY_FILES, MUCH_DATA, refuse_credentials, scale_advice


def test_scale_advice_names_the_better_path() -> None:
    small = [LocalFile(f"f{i}", PurePosixPath(f"f{i}"), 10) for i in range(MANY_FILES)]
    assert scale_advice(small) is None
    advice = scale_advice([*small, LocalFile("x", PurePosixPath("x"), 10)])
    assert advice is not None and "Globus Transfer task" in advice
    assert scale_advice([LocalFile("big", PurePosixPath("big"), MUCH_DATA + 1)]) is not None


def test_credential_files_and_files_holding_the_secret_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "client.json"
    config.write_text("{}")
    leaky = tmp_path / "debug.log"
    leaky.write_text("secret=s3cr3t-value-123 leaked")
    clean = tmp_path / "a.whl"
    clean.write_text("wheel")
    files = [LocalFile(str(p), PurePosixPath(p.name), p.stat().st_size, "*") for p in (clean,)]
    refuse_credentials(files, {str(config): "the client-config file (-c)"}, ["s3cr3t-value-123"])
    for path, words in ((config, "the client-config file"), (leaky, "holding the client secret")):
        bad = LocalFile(str(path), PurePosixPath(path.name), path.stat().st_size, "*")
        with pytest.raises(SelectionError, match=words):
            refuse_credentials(
                [*files, bad], {str(config): "the client-config file (-c)"}, ["s3cr3t-value-123"]
            )
