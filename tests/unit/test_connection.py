"""What is settled before the collection is reached: the files a run will write, and the TLS
trust its data gets."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from globusput.ci import detect
from globusput.connection import check_outputs, data_tls_verify
from globusput.errors import ConfigError
from globusput.report import Reporter
from globusput.settings import Settings


def reporter(environ: dict[str, str]) -> Reporter:
    out = io.StringIO()
    return Reporter(out=out, err=io.StringIO(), ci=detect(out, environ))


def test_every_file_a_run_writes_is_checked_together(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    settings = Settings(GLOBUSPUT_MANIFEST=str(tmp_path))  # type: ignore[call-arg]
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(fifo)}
    with pytest.raises(ConfigError) as caught:
        check_outputs(settings, reporter(environ))
    assert f"manifest (--manifest) {tmp_path} is a folder" in str(caught.value)
    assert f"GITHUB_OUTPUT {fifo} is not a regular file" in str(caught.value)
    fine = Settings(GLOBUSPUT_MANIFEST=str(tmp_path / "new/m.json"))  # type: ignore[call-arg]
    check_outputs(fine, reporter({}))


def test_tls_is_never_off_without_the_loud_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOBUS_SDK_VERIFY_SSL", "false")
    with pytest.raises(ConfigError, match="GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY"):
        data_tls_verify(Settings(), reporter({}))
    loud = Settings(GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY=True)  # type: ignore[call-arg]
    said = reporter({})
    assert data_tls_verify(loud, said) is False
    assert "TLS VERIFICATION IS OFF" in said.err.getvalue()  # type: ignore[attr-defined]


def test_a_ca_bundle_is_the_datas_trust_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("GLOBUS_SDK_VERIFY_SSL", str(bundle))
    assert data_tls_verify(Settings(), reporter({})) == str(bundle)
