"""Collection types, consent and session policies, with a confidential client.

The stand-in enforces what Globus does: ``data_access`` on mapped collections at Transfer and at
the HTTPS server, "Unknown scope" wherever a scope does not exist, session policies. The
person's side (Native App login) is in ``test_login.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Runner

MAPPED = "GCSv5_mapped_collection"
TYPES: dict[str, dict[str, Any]] = {
    "guest": {},
    "mapped": {"entity_type": MAPPED},
    "mapped-high-assurance": {"entity_type": MAPPED, "high_assurance": True},
}


def make(run: Runner, **options: Any) -> None:
    for name, value in options.items():
        setattr(run.collection, name, value)


def grants(run: Runner) -> list[str]:
    """The scope parameter of each client-credentials request, in order."""
    return [e["scope"] for e in run.standin.log if e["route"] == "auth.token"]


@pytest.mark.parametrize("kind", TYPES)
def test_each_collection_type_gets_exactly_its_scopes(run: Runner, kind: str) -> None:
    make(run, **TYPES[kind])
    run.write("d/a.txt", "a")
    run.write("d/sub/b.txt", "b")
    result = run("-v", "d/**", "/new/folder/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {"/new/folder/a.txt": b"a", "/new/folder/sub/b.txt": b"b"}
    assert run.standin.counts["transfer.mkdir"] >= 1  # Transfer acted on the collection
    assert "ConsentRequired" not in result.output and "refused" not in result.output
    data_access = f"https://auth.globus.org/scopes/{run.collection_id}/data_access"
    https = f"https://auth.globus.org/scopes/{run.collection_id}/https"
    asked = grants(run)
    assert https in asked[0].split() and "data_access" not in asked[0]
    if kind == "mapped":
        # the endpoint document said "mapped": one more grant, with everything it needs
        assert len(asked) == 2
        second = asked[1].split()
        assert {https, data_access} <= set(second)
        assert f"urn:globus:auth:scope:transfer.api.globus.org:all[*{data_access}]" in second
    else:
        assert len(asked) == 1  # asking for data_access there would fail


@pytest.mark.parametrize("where", ["both", "top", "parameters"])
def test_consent_asked_for_again_by_transfer_is_given_and_the_run_goes_on(
    run: Runner, where: str
) -> None:
    """Observed answers name the scopes at the top and in authorization_parameters; either
    alone is understood too (never taken for a session policy)."""
    make(run, entity_type=MAPPED)
    run.collection.consent_scopes_at = where
    for n in range(3):
        run.write(f"c/{n}.txt", str(n))
    run.standin.add_fault("consent", route="transfer.mkdir")
    result = run("c/*.txt", "/fresh/", run.collection_id)
    assert result.returncode == 0, result.output
    assert run.tree() == {f"/fresh/{n}.txt": str(n).encode() for n in range(3)}
    assert run.standin.counts["auth.token"] == 3  # first grant, mapped grant, consent grant
    assert "[*https://auth.globus.org/scopes/" in grants(run)[-1]


def test_an_endpoint_id_is_told_apart_from_a_collection_id(run: Runner) -> None:
    make(run, entity_type="GCSv5_endpoint")
    run.write("a.txt")
    result = run("a.txt", "/x/", run.collection_id)
    assert result.returncode == 2, result.output
    assert "is a Globus Connect Server endpoint, not a collection" in result.stderr
    assert "GLOBUS_COLLECTION_ID to the id of one of its collections" in result.stderr
    assert run.standin.count("data.") == 0 and run.tree() == {}


def test_a_collection_without_https_says_so(run: Runner) -> None:
    make(run, https_enabled=False, entity_type="GCP_mapped_collection")
    run.write("a.txt")
    result = run("a.txt", "/x/", run.collection_id)
    assert result.returncode == 2, result.output
    assert "GCP_mapped_collection without an HTTPS server" in result.stderr
    assert run.standin.count("data.") == 0


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ({"session_required_single_domain": ["example.edu"]}, "an identity from example.edu"),
        ({"session_required_mfa": True}, "multi-factor authentication"),
    ],
)
@pytest.mark.parametrize("status", [403, 502])
def test_a_session_policy_says_which_login_is_needed(
    run: Runner, policy: dict[str, Any], words: str, status: int
) -> None:
    make(run, session_policy=policy, session_error_status=status)
    run.write("a.txt")
    result = run("a.txt", "/s/report.txt", run.collection_id)  # a file: Transfer looks first
    assert result.returncode == 3, result.output
    assert f"requires a login session with {words}" in result.stderr
    assert "continuing over HTTPS there" not in result.output
    assert run.standin.count("data.") == 0


def test_transfer_refusing_operations_is_still_told_apart_from_consent(run: Runner) -> None:
    """A plain 403 EndpointPermissionDenied still means "go on with HTTPS only"."""
    make(run, entity_type=MAPPED)
    run.collection.transfer_denied.add(f"{run.client_id}@clients.auth.globus.org")
    run.remote_folder("/d")
    run.write("a.txt", "a")
    result = run("a.txt", "/d/a.txt", run.collection_id)
    assert result.returncode == 0, result.output
    assert "continuing over HTTPS there" in result.stderr
    assert run.stored("/d/a.txt") == b"a"
