"""The staging record, decided without the network: what it names, what counts as the same
selection, and that nothing but globusput's own record is taken for one."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from globusput.claim import Record, parse_record, record_path, selection_digest
from globusput.paths import parse_destination
from globusput.plans import plan_uploads, restage
from globusput.selection import LocalFile

STAGING = "/rel/.1.0.globusput-staging/"


def staged(*files: tuple[str, int]) -> list:
    local = [LocalFile(name, PurePosixPath(name), size) for name, size in files]
    plan = plan_uploads(local, parse_destination("/rel/1.0/"), "https://example.edu")
    return restage(plan, "/rel/1.0/", STAGING)


def test_the_record_sits_beside_the_staging_folder_not_in_it() -> None:
    assert record_path("/rel/1.0/") == "/rel/.1.0.globusput-staging.json"
    assert record_path("/site/") == "/.site.globusput-staging.json"
    assert not record_path("/rel/1.0/").startswith(STAGING)


def test_the_selection_digest_names_places_sizes_and_contents_not_order() -> None:
    plan = staged(("a.whl", 3), ("b/c.txt", 5))
    digest = selection_digest(plan, STAGING, ["1" * 64, "2" * 64])
    assert selection_digest(plan[::-1], STAGING, ["2" * 64, "1" * 64]) == digest
    assert selection_digest(plan, STAGING, ["1" * 64, "3" * 64]) != digest  # content
    assert (
        selection_digest(staged(("a.whl", 4), ("b/c.txt", 5)), STAGING, ["1" * 64, "2" * 64])
        != digest
    )
    assert (
        selection_digest(staged(("x.whl", 3), ("b/c.txt", 5)), STAGING, ["1" * 64, "2" * 64])
        != digest
    )


def test_a_record_reads_back_as_written() -> None:
    record = Record("/rel/1.0/", "ab" * 32, 2, "0123456789abcdef")
    assert parse_record(record.to_bytes()) == record


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<html>login</html>",
        b"[]",
        b'{"destination": "/rel/1.0/", "selection": "x", "files": 1, "run": "r"}',  # no marker
        b'{"globusput-staging": 2, "destination": "/r/", "selection": "x", "files": 1, "run": "r"}',
        b'{"globusput-staging": 1, "destination": 5, "selection": "x", "files": 1, "run": "r"}',
        b'{"globusput-staging": 1, "destination": "/r/", "selection": "x", "files": "1", '
        b'"run": "r"}',
        b'{"globusput-staging": 1, "destination": "/r/", "selection": "x", "files": 1}',
        b'{"globusput-staging": 1, "destination": "/r/", "selection": "x", "files": 1, '
        b'"run": "r", "x": 1}',
    ],
)
def test_anything_but_globusputs_record_is_none(data: bytes) -> None:
    assert parse_record(data) is None
