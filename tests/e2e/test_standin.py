"""The stand-in itself, spoken to over HTTPS without globusput: at least as strict as Globus.

Every refusal here is one the real services give (``../shared/globus-https-facts.md``); a
stand-in that accepted any of these requests would let a product bug pass unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from globusput.testing import StandIn
from globusput.testing.standin import DEMO_NATIVE_CLIENT_ID, Collection

TRANSFER = "urn:globus:auth:scope:transfer.api.globus.org:all"


def https(collection: Collection) -> str:
    return f"https://auth.globus.org/scopes/{collection.id}/https"


def data_access(collection: Collection) -> str:
    return f"https://auth.globus.org/scopes/{collection.id}/data_access"


@pytest.fixture
def standin(standin_server: StandIn) -> Iterator[StandIn]:
    standin_server.reset()
    created = set(standin_server.collections)
    yield standin_server
    for collection_id in set(standin_server.collections) - created:
        collection = standin_server.collections.pop(collection_id)
        if collection.server is not None:
            collection.server.shutdown()
            collection.server.server_close()


def call(standin: StandIn, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, standin.url + path.lstrip("/"), verify=str(standin.ca_path), timeout=10, **kwargs
    )


def grant(standin: StandIn, client: tuple[str, str], scope: str) -> requests.Response:
    return call(
        standin,
        "POST",
        "/v2/oauth2/token",
        auth=client,
        data={"grant_type": "client_credentials", "scope": scope},
    )


def tokens(answer: requests.Response) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    data = answer.json()
    return {t["resource_server"]: t["access_token"] for t in [data, *data["other_tokens"]]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_auth_errors_have_globus_auths_shape(standin: StandIn) -> None:
    answer = grant(standin, ("nobody", "wrong"), TRANSFER)
    assert answer.status_code == 401
    body = answer.json()
    assert body["error"] == "invalid_client"
    (error,) = body["errors"]
    assert error["status"] == "401" and error["code"] and error["detail"] and error["id"]


@pytest.mark.parametrize(
    ("options", "guest_like"),
    [
        ({}, True),  # guest: no data_access scope at all
        ({"entity_type": "GCSv5_mapped_collection", "high_assurance": True}, True),
        ({"entity_type": "GCSv5_mapped_collection"}, False),
    ],
)
def test_data_access_exists_only_on_mapped_collections_short_of_high_assurance(
    standin: StandIn, options: dict[str, Any], guest_like: bool
) -> None:
    client = standin.add_client()
    collection = standin.add_collection(grant=[client[0]], **options)
    answer = grant(standin, client, f"{https(collection)} {data_access(collection)}")
    if guest_like:
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"
    else:
        assert set(tokens(answer)) == {collection.id}


def test_an_endpoint_and_a_collection_without_https_have_no_https_scope(
    standin: StandIn,
) -> None:
    client = standin.add_client()
    endpoint = standin.add_collection(entity_type="GCSv5_endpoint")
    no_https = standin.add_collection(https_enabled=False, entity_type="GCSv4_host")
    for collection in (endpoint, no_https):
        assert grant(standin, client, https(collection)).status_code == 400
    transfer = tokens(grant(standin, client, TRANSFER))["transfer.api.globus.org"]
    doc = call(standin, "GET", f"/v0.10/endpoint/{endpoint.id}", headers=bearer(transfer)).json()
    assert doc["entity_type"] == "GCSv5_endpoint" and doc["non_functional"] is True
    assert doc["https_server"] is None


def test_mapped_collections_want_data_access_at_transfer_and_at_the_https_server(
    standin: StandIn,
) -> None:
    client = standin.add_client()
    mapped = standin.add_collection(grant=[client[0]], entity_type="GCSv5_mapped_collection")
    plain = tokens(grant(standin, client, f"{TRANSFER} {https(mapped)}"))
    ls = f"/v0.10/operation/endpoint/{mapped.id}/ls"
    refused = call(standin, "GET", ls, headers=bearer(plain["transfer.api.globus.org"]))
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "ConsentRequired"
    assert body["required_scopes"] == [f"{TRANSFER}[*{data_access(mapped)}]"]
    assert mapped.https_server is not None
    put = mapped.https_server + "/f.txt"
    answer = requests.put(
        put, data=b"x", headers=bearer(plain[mapped.id]), verify=str(standin.ca_path), timeout=10
    )
    assert answer.status_code == 403 and not mapped.fs_path("/f.txt").exists()

    full = tokens(
        grant(
            standin,
            client,
            f"{TRANSFER}[*{data_access(mapped)}] {https(mapped)} {data_access(mapped)}",
        )
    )
    assert call(standin, "GET", ls, headers=bearer(full["transfer.api.globus.org"])).ok
    answer = requests.put(
        put, data=b"x", headers=bearer(full[mapped.id]), verify=str(standin.ca_path), timeout=10
    )
    assert answer.status_code == 200 and mapped.fs_path("/f.txt").read_bytes() == b"x"


def test_transfer_error_codes_as_real_servers_give_them(standin: StandIn) -> None:
    client = standin.add_client()
    collection = standin.add_collection(grant=[client[0]])
    collection.acl[f"{client[0]}@clients.auth.globus.org"] = ["/mine"]
    token = bearer(tokens(grant(standin, client, TRANSFER))["transfer.api.globus.org"])
    base = f"/v0.10/operation/endpoint/{collection.id}"
    missing = call(standin, "GET", base + "/ls", params={"path": "/mine/none"}, headers=token)
    assert (missing.status_code, missing.json()["code"]) == (404, "ClientError.NotFound")
    denied = call(
        standin, "POST", base + "/mkdir", json={"DATA_TYPE": "mkdir", "path": "/x"}, headers=token
    )
    assert denied.json()["code"] == "ExternalError.MkdirFailed.PermissionDenied"
    unknown = call(standin, "GET", "/v0.10/endpoint/" + "0" * 8, headers=token)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "EndpointNotFound")
    bad = call(standin, "GET", f"/v0.10/endpoint/{collection.id}", headers=bearer("nope"))
    assert (bad.status_code, bad.json()["code"]) == (401, "AuthenticationFailed")


@pytest.mark.parametrize("status", [403, 502])
def test_session_policies_are_refused_with_authorization_parameters(
    standin: StandIn, status: int
) -> None:
    client = standin.add_client()
    collection = standin.add_collection(
        grant=[client[0]],
        session_policy={"session_required_single_domain": ["example.edu"]},
        session_error_status=status,
    )
    token = tokens(grant(standin, client, f"{TRANSFER} {https(collection)}"))
    answer = call(
        standin,
        "GET",
        f"/v0.10/operation/endpoint/{collection.id}/ls",
        headers=bearer(token["transfer.api.globus.org"]),
    )
    assert answer.status_code == status
    params = answer.json()["authorization_parameters"]
    assert params["session_required_single_domain"] == ["example.edu"]
    assert collection.https_server is not None
    put = requests.put(
        collection.https_server + "/f",
        data=b"x",
        headers=bearer(token[collection.id]),
        verify=str(standin.ca_path),
        timeout=10,
    )
    assert put.status_code == 200 and b"<html" in put.content.lower()  # the step-up page
    assert not collection.fs_path("/f").exists()


@pytest.mark.parametrize(
    ("scopes", "claims"),
    [
        (["openid"], {"sub", "last_authentication"}),
        (
            ["openid", "profile"],
            {
                "sub",
                "last_authentication",
                "preferred_username",
                "name",
                "organization",
                "identity_provider",
                "identity_provider_display_name",
            },
        ),
        (["openid", "email"], {"sub", "last_authentication", "email"}),
    ],
)
def test_userinfo_discloses_only_what_the_scopes_grant(
    standin: StandIn, scopes: list[str], claims: set[str]
) -> None:
    user = standin.users.user
    token = standin.issue_token(
        user.identity_id, user.username, "auth.globus.org", scopes, "native", user=True
    )
    answer = call(standin, "GET", "/v2/oauth2/userinfo", headers=bearer(token.value))
    assert answer.status_code == 200 and set(answer.json()) == claims


def test_revocation_needs_the_client_to_say_who_it_is(standin: StandIn) -> None:
    standin.add_native_client(DEMO_NATIVE_CLIENT_ID)
    user = standin.users.user
    token = standin.issue_token(
        user.identity_id, user.username, "transfer.api.globus.org", [TRANSFER], "x", user=True
    )
    anonymous = call(standin, "POST", "/v2/oauth2/token/revoke", data={"token": token.value})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    assert standin.valid_token(token.value) is not None
    named = call(
        standin,
        "POST",
        "/v2/oauth2/token/revoke",
        data={"token": token.value, "client_id": DEMO_NATIVE_CLIENT_ID},
    )
    assert named.status_code == 200 and standin.valid_token(token.value) is None


def test_dead_refresh_tokens_are_an_invalid_grant(standin: StandIn) -> None:
    standin.add_native_client(DEMO_NATIVE_CLIENT_ID)
    user = standin.users.user
    token = standin.issue_token(
        user.identity_id,
        user.username,
        "transfer.api.globus.org",
        [TRANSFER],
        DEMO_NATIVE_CLIENT_ID,
        refresh=True,
        user=True,
    )
    assert token.refresh_token is not None
    standin.users.refresh[token.refresh_token] = (
        DEMO_NATIVE_CLIENT_ID,
        "transfer.api.globus.org",
        [TRANSFER],
        frozenset(),  # what its login session showed
    )
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token.refresh_token,
        "client_id": DEMO_NATIVE_CLIENT_ID,
    }
    assert call(standin, "POST", "/v2/oauth2/token", data=form).status_code == 200
    standin.end_refresh_tokens()
    dead = call(standin, "POST", "/v2/oauth2/token", data=form)
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("status", [401, 403])
def test_an_expired_token_is_answered_as_set(standin: StandIn, status: int) -> None:
    client = standin.add_client()
    collection = standin.add_collection(grant=[client[0]])
    standin.expired_token_status = status
    token = tokens(grant(standin, client, https(collection)))[collection.id]
    standin.expire_tokens()
    assert collection.https_server is not None
    answer = requests.put(
        collection.https_server + "/f",
        data=b"x",
        headers=bearer(token),
        verify=str(standin.ca_path),
        timeout=10,
    )
    assert answer.status_code == status


def test_run_with_a_command_that_does_not_exist_says_so(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "globusput.testing", "run", "--", "no-such-command-anywhere"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 127
    error = "error: cannot run 'no-such-command-anywhere': No such file or directory"
    assert proc.stderr.strip() == error


def test_transfer_checks_methods_and_data_types(standin: StandIn) -> None:
    client = standin.add_client()
    collection = standin.add_collection(grant=[client[0]])
    token = bearer(tokens(grant(standin, client, TRANSFER))["transfer.api.globus.org"])
    mkdir = f"/v0.10/operation/endpoint/{collection.id}/mkdir"
    assert call(standin, "GET", mkdir, headers=token).status_code == 405
    wrong = call(standin, "POST", mkdir, json={"DATA_TYPE": "rename", "path": "/x"}, headers=token)
    assert wrong.status_code == 400 and not collection.fs_path("/x").exists()
    right = call(standin, "POST", mkdir, json={"DATA_TYPE": "mkdir", "path": "/x"}, headers=token)
    assert right.status_code == 202 and collection.fs_path("/x").is_dir()


@pytest.mark.parametrize(
    ("redirect", "allowed"),
    [
        ("{base}v2/web/auth-code", True),
        ("http://localhost:8123/", True),
        ("http://127.0.0.1:8123/callback", True),
        ("https://evil.example/steal", False),
        ("http://localhost.evil.example/", False),
    ],
)
def test_authorize_sends_codes_only_where_a_native_app_may_receive_them(
    standin: StandIn, redirect: str, allowed: bool
) -> None:
    standin.add_native_client(DEMO_NATIVE_CLIENT_ID)
    params = {
        "client_id": DEMO_NATIVE_CLIENT_ID,
        "redirect_uri": redirect.format(base=standin.url),
        "scope": "openid",
        "response_type": "code",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
    }
    answer = call(standin, "GET", "/v2/oauth2/authorize", params=params, allow_redirects=False)
    assert answer.status_code == (302 if allowed else 400)


@pytest.mark.parametrize("honours", [True, False], ids=["ranges", "no-ranges"])
def test_downloads_answer_ranges_as_observed(standin: StandIn, honours: bool) -> None:
    client = standin.add_client()
    collection = standin.add_collection(grant=[client[0]])
    collection.honours_range = honours
    (collection.root / "f.bin").write_bytes(bytes(range(100)))
    token = tokens(grant(standin, client, https(collection)))[collection.id]
    server = collection.https_server
    assert server is not None

    def get(wanted: str) -> requests.Response:
        return requests.get(
            server + "/f.bin",
            headers={**bearer(token), "Range": wanted},
            verify=str(standin.ca_path),
            timeout=10,
        )

    part = get("bytes=10-19")
    if not honours:  # the whole file, as HTTP allows a server that ignores ranges
        assert part.status_code == 200 and part.content == bytes(range(100))
        return
    assert part.status_code == 206 and part.content == bytes(range(10, 20))
    assert part.headers["Content-Range"] == "bytes 10-19/100"
    rest = get("bytes=90-")
    assert rest.status_code == 206 and rest.content == bytes(range(90, 100))
    for refused in ("bytes=100-", "bytes=-10", "bytes=20-10", "lines=1-2"):
        answer = get(refused)
        assert answer.status_code == 416, refused
        assert answer.headers["Content-Range"] == "bytes */100"


def _task_client(standin: StandIn) -> tuple[dict[str, str], Collection, Collection]:
    client = standin.add_client()
    source = standin.add_collection(grant=[client[0]])
    target = standin.add_collection(grant=[client[0]])
    return (
        bearer(tokens(grant(standin, client, TRANSFER))["transfer.api.globus.org"]),
        source,
        target,
    )


def _finished(standin: StandIn, auth: dict[str, str], task_id: str) -> dict[str, Any]:
    for _ in range(100):
        document: dict[str, Any] = call(
            standin, "GET", f"/v0.10/task/{task_id}", headers=auth
        ).json()
        if document["status"] != "ACTIVE":
            return document
        time.sleep(0.05)
    raise AssertionError("the task did not end")


def test_transfer_tasks_move_files_honour_sync_levels_and_resubmission(standin: StandIn) -> None:
    auth, source, target = _task_client(standin)
    (source.root / "d").mkdir()
    (source.root / "d" / "a").write_bytes(b"new")
    (target.root / "d").mkdir()
    (target.root / "d" / "a").write_bytes(b"old")
    submission = call(standin, "GET", "/v0.10/submission_id", headers=auth).json()["value"]
    body = {
        "DATA_TYPE": "transfer",
        "submission_id": submission,
        "source_endpoint": source.id,
        "destination_endpoint": target.id,
        "sync_level": "exists",
        "DATA": [
            {
                "DATA_TYPE": "transfer_item",
                "source_path": "/d/",
                "destination_path": "/e/",
                "recursive": True,
            },
            {"DATA_TYPE": "transfer_item", "source_path": "/d/a", "destination_path": "/d/a"},
        ],
    }
    first = call(standin, "POST", "/v0.10/transfer", headers=auth, json=body)
    assert (first.status_code, first.json()["code"]) == (202, "Accepted")
    again = call(standin, "POST", "/v0.10/transfer", headers=auth, json=body)
    assert again.json()["code"] == "Duplicate"  # the same submission id: the same task
    assert again.json()["task_id"] == first.json()["task_id"]
    document = _finished(standin, auth, first.json()["task_id"])
    assert document["status"] == "SUCCEEDED" and document["files_skipped"] == 1
    assert target.tree() == {"/d/a": b"old", "/e/a": b"new"}  # "exists" kept /d/a
    moved = call(
        standin, "GET", f"/v0.10/task/{document['task_id']}/successful_transfers", headers=auth
    ).json()
    assert [m["destination_path"] for m in moved["DATA"]] == ["/e/a"]
    # another identity does not see the task; a path with '..' is refused at submission
    other, _, _ = _task_client(standin)
    assert (
        call(standin, "GET", f"/v0.10/task/{document['task_id']}", headers=other).status_code == 404
    )
    body["submission_id"] = "another"
    body["DATA"] = [{"source_path": "/d/../x", "destination_path": "/y"}]
    assert call(standin, "POST", "/v0.10/transfer", headers=auth, json=body).status_code == 400
