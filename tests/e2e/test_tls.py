"""Trust: a collection behind a private CA, and verification switched off on purpose."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from globusput.testing.certs import make_tls_files
from globusput.testing.data import DataHandler
from globusput.testing.tlsserver import TLSServer

from .conftest import Runner


@pytest.fixture
def private_ca(run: Runner, tmp_path: Path) -> Iterator[Path]:
    """The collection's HTTPS server presents a certificate of a CA of its own (as a site
    with an internal CA would); yields that CA's file. Auth and Transfer keep theirs."""
    ca, cert, key = make_tls_files(tmp_path / "private-ca")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = TLSServer(0, DataHandler, context)
    server.standin = run.standin  # type: ignore[attr-defined]
    server.collection = run.collection  # type: ignore[attr-defined]
    server.start()
    run.collection.external_https = f"https://localhost:{server.port}"
    try:
        yield ca
    finally:
        run.collection.external_https = None
        server.shutdown()
        server.server_close()


def test_a_private_ca_is_named_with_the_fix_and_the_fix_works(
    run: Runner, private_ca: Path, tmp_path: Path
) -> None:
    run.write("a.txt", "a")
    run.remote_folder("/p")
    result = run("a.txt", "/p/", run.collection_id)
    assert result.returncode == 1, result.output
    (line,) = [x for x in result.stderr.splitlines() if "TLS verification" in x]
    assert f"TLS verification of {run.collection.external_https} failed" in line
    assert "point GLOBUS_SDK_VERIFY_SSL or REQUESTS_CA_BUNDLE at its certificate bundle" in line
    assert run.standin.count("data.") == 0 and run.tree() == {}

    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(run.standin.ca_path.read_bytes() + private_ca.read_bytes())
    result = run("a.txt", "/p/", run.collection_id, env={"GLOBUS_SDK_VERIFY_SSL": str(bundle)})
    assert result.returncode == 0, result.output
    assert run.tree() == {"/p/a.txt": b"a"}


def test_verification_off_works_only_with_the_loud_flag(run: Runner, private_ca: Path) -> None:
    run.write("a.txt", "a")
    env = {"GLOBUS_SDK_VERIFY_SSL": "false"}
    result = run("a.txt", "/i/", run.collection_id, env=env)
    assert result.returncode == 2, result.output
    assert "GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY" in result.stderr
    assert run.standin.count() == 0
    result = run(
        "a.txt",
        "/i/",
        run.collection_id,
        env={**env, "GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY": "true"},
    )
    assert result.returncode == 0, result.output
    assert "TLS VERIFICATION IS OFF" in result.stderr
    assert "InsecureRequestWarning" not in result.stderr
    assert run.tree() == {"/i/a.txt": b"a"}
