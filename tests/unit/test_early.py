"""The first grant asked for while the settings load: only for a plain client, never where a
check guards the secret, and taken only for exactly the client the settings name."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from globusput import early
from globusput.early import ask_early, plain_client, take_early

CLIENT = "9aaec0b1-780f-4157-a0f8-b6c3b56c0199"
COLLECTION = "6147a43d-6227-4c6f-b2d4-e04c40a3401e"
ENV = {"GLOBUS_CLIENT_ID": CLIENT.upper(), "GLOBUS_CLIENT_SECRET": " s3cret\n"}
CLI = {"paths": ["a.txt"], "destination": "/d/", "collection_id": COLLECTION}


def test_a_plain_client_is_read_as_the_settings_read_it() -> None:
    # a UUID in any case is the same client; a secret loses the spaces a paste brings along
    assert plain_client(CLI, ENV) == (CLIENT, "s3cret", COLLECTION)
    # the collection from its variable; the command line's beats it
    env = ENV | {"GLOBUS_COLLECTION_ID": CLIENT}
    assert plain_client({}, env) == (CLIENT, "s3cret", CLIENT)
    assert plain_client(CLI, env) == (CLIENT, "s3cret", COLLECTION)


@pytest.mark.parametrize(
    ("values", "environ"),
    [
        (CLI | {"client_config": "client.json"}, ENV),  # the file names the client
        (CLI, ENV | {"GLOBUSPUT_CLIENT_CONFIG": "client.json"}),
        (CLI | {"destination": "https://example.org/d/"}, ENV),  # its host is checked first
        (CLI, ENV | {"GLOBUS_CLIENT_SECRET": ""}),  # an empty variable is unset
        (CLI, {"GLOBUS_CLIENT_SECRET": "s3cret"}),
        (CLI, ENV | {"GLOBUS_CLIENT_ID": "s3cret"}),  # the two swapped: not a client id
        (CLI | {"collection_id": "not-a-uuid"}, ENV),
        ({}, ENV),
    ],
)
def test_nothing_is_asked_early_unless_the_client_is_plain(
    values: dict[str, Any], environ: dict[str, str]
) -> None:
    assert plain_client(values, environ) is None


@pytest.mark.parametrize(
    ("variable", "value", "misses"),
    [
        ("GLOBUS_SDK_VERIFY_SSL", "false", []),  # the secret would travel unverified
        ("GLOBUS_SDK_VERIFY_SSL", "sometimes", []),  # unreadable: the settings' check says so
        ("GLOBUS_SDK_ENVIRONMENT", "nowhere", []),  # the run meets it where it did before
        ("HOME", "/root", [("GLOBUSPUT_DRYRUN", "GLOBUSPUT_DRY_RUN")]),  # "nothing was sent"
    ],
)
def test_no_grant_starts_where_a_check_guards_the_secret(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, misses: list[Any]
) -> None:
    monkeypatch.setenv(variable, value)
    monkeypatch.setattr(early, "_pending", [])
    ask_early(CLI, ENV, misses)  # a grant that started would open a socket: this test fails
    assert early._pending == []


def test_the_run_takes_the_grant_only_for_the_client_the_settings_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grant = SimpleNamespace(key=(CLIENT, "s3cret", COLLECTION))
    monkeypatch.setattr(early, "_pending", [grant])
    assert take_early(CLIENT, "s3cret", COLLECTION) is grant
    assert take_early(CLIENT, "s3cret", COLLECTION) is None  # taken once
    for other in [(CLIENT, "other", COLLECTION), (CLIENT, "s3cret", CLIENT)]:
        monkeypatch.setattr(early, "_pending", [grant])
        assert take_early(*other) is None
        assert early._pending == []  # dropped: a later grant is asked for again
