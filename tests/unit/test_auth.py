"""Which scopes a collection's type needs, and how consent and session errors read."""

from __future__ import annotations

import pytest
from globus_sdk.exc.err_info import AuthorizationParameterInfo

from globusput.auth import collection_scopes, transfer_scope
from globusput.errors import consent_error, session_error
from globusput.remote import CollectionInfo

ID = "6528bad5-bc02-497d-8a4f-a38547d0e72a"
TRANSFER = "urn:globus:auth:scope:transfer.api.globus.org:all"


@pytest.mark.parametrize(
    ("doc", "needs"),
    [
        ({"entity_type": "GCSv5_guest_collection"}, False),
        ({"entity_type": "GCSv5_mapped_collection"}, True),
        ({"entity_type": "GCSv5_mapped_collection", "high_assurance": True}, False),
        ({"entity_type": "GCSv5_endpoint", "non_functional": True}, False),
        ({}, False),
    ],
)
def test_only_mapped_collections_short_of_high_assurance_need_data_access(
    doc: dict[str, object], needs: bool
) -> None:
    assert CollectionInfo.from_document(ID, doc).needs_data_access is needs


def test_scopes_as_globus_writes_them() -> None:
    https = f"https://auth.globus.org/scopes/{ID}/https"
    data_access = f"https://auth.globus.org/scopes/{ID}/data_access"
    assert collection_scopes(ID, False) == [https]
    assert collection_scopes(ID, True) == [https, data_access]
    assert transfer_scope(ID, False) == TRANSFER
    assert transfer_scope(ID, True) == f"{TRANSFER}[*{data_access}]"


def test_a_session_policy_names_the_login_it_wants() -> None:
    params = AuthorizationParameterInfo(
        {
            "authorization_parameters": {
                "session_required_single_domain": ["example.edu", "example.org"],
                "session_required_mfa": True,
            }
        }
    )
    text = str(session_error(params, ID, "you"))
    assert "an identity from example.edu or example.org; multi-factor authentication" in text
    assert "\n" not in text


def test_consent_errors_say_how_to_grant_for_a_person_only() -> None:
    person = str(consent_error(ID, ["s1", "s2"], "you", person=True))
    assert "consent to s1 s2" in person and f"run 'globusput login {ID}'" in person
    client = str(consent_error(ID, ["s1"], "c@clients.auth.globus.org"))
    assert "globusput login" not in client and "c@clients.auth.globus.org" in client
