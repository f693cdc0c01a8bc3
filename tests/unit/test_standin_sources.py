"""Where the stand-in and globusput both encode a rule of Globus, the stand-in's copy is held
to an independent source: globus-sdk's own code and its recorded responses. A misreading
shared by the product and the stand-in would otherwise pass every end-to-end test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from globus_sdk.experimental import gcs_downloader
from globus_sdk.scopes import GCSCollectionScopes, TransferScopes
from globus_sdk.testing.data.transfer import operation_mkdir, operation_rename, operation_stat

from globusput.testing.model import (
    ENDPOINT,
    GUEST,
    MAPPED,
    TRANSFER_SCOPE,
    Collection,
    data_access_scope,
    endpoint_document,
    file_entry,
    https_scope,
)

ID = "6528bad5-bc02-497d-8a4f-a38547d0e72a"


class _Transfer:
    """Hands globus-sdk's rule the stand-in's endpoint document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def get_endpoint(self, collection_id: str) -> dict[str, Any]:
        return self.document


@pytest.mark.parametrize("entity_type", [GUEST, MAPPED])
@pytest.mark.parametrize("high_assurance", [False, True])
def test_who_needs_data_access_is_what_globus_sdk_decides(
    entity_type: str, high_assurance: bool, tmp_path: Path
) -> None:
    collection = Collection(ID, tmp_path, "c", entity_type, high_assurance)
    document = endpoint_document(collection)
    sdk = gcs_downloader._uses_data_access(_Transfer(document), ID)  # type: ignore[arg-type]
    assert collection.needs_data_access is sdk


def test_collection_types_are_the_ones_globus_sdk_names() -> None:
    assert f'"{MAPPED}"' in inspect.getsource(gcs_downloader._uses_data_access)
    assert all(re.fullmatch(r"GCSv5_\w+", t) for t in (GUEST, MAPPED, ENDPOINT))


def test_scope_strings_are_globus_sdks() -> None:
    scopes = GCSCollectionScopes(ID)
    assert https_scope(ID) == str(scopes.https)
    assert data_access_scope(ID) == str(scopes.data_access)
    assert str(TransferScopes.all) == TRANSFER_SCOPE


def test_a_stat_answer_has_the_recorded_shape(tmp_path: Path) -> None:
    (tmp_path / "file1.txt").write_text("abcd")
    ours = file_entry(tmp_path / "file1.txt")
    recorded = operation_stat.RESPONSES.lookup("default").json
    assert isinstance(recorded, dict)
    assert set(ours) <= set(recorded)
    for key in ("DATA_TYPE", "type", "name", "size"):
        assert ours[key] == recorded[key], key
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00", ours["last_modified"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00", recorded["last_modified"])
    not_found = operation_stat.RESPONSES.lookup("not_found")
    assert (not_found.status, not_found.json["code"]) == (404, "NotFound")  # type: ignore[index]


def test_mkdir_and_rename_answers_have_the_recorded_shape() -> None:
    source = (Path(__file__).parents[2] / "globusput/testing/transfer.py").read_text()
    for recorded in (operation_mkdir, operation_rename):
        answer = recorded.RESPONSES.lookup("default").json
        assert isinstance(answer, dict)
        assert f'"DATA_TYPE": "{answer["DATA_TYPE"]}"' in source
        assert f'"code": "{answer["code"]}"' in source
