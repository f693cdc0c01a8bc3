from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from globusput.errors import DestinationError, SelectionError
from globusput.layout import (
    check_destination_host,
    parse_destination,
    plan_uploads,
    restage,
    staging_folder,
    upload_order,
    url_for,
)
from globusput.selection import LocalFile

B = "https://example.edu"
SCIENCE = LocalFile("science.json", PurePosixPath("science.json"), 10)


@pytest.mark.parametrize(
    ("destination", "url"),
    [
        ("/data/", f"{B}/data/science.json"),
        ("/data/isawesome.json", f"{B}/data/isawesome.json"),
        ("data/", f"{B}/data/science.json"),
        ("data/isawesome.json", f"{B}/data/isawesome.json"),
        (f"{B}/data/", f"{B}/data/science.json"),
        (f"{B}/data/isawesome.json", f"{B}/data/isawesome.json"),
        (f"{B}:443/data/", f"{B}/data/science.json"),
        ("/", f"{B}/science.json"),
        (B, f"{B}/science.json"),
    ],
)
def test_destination_matrix(destination: str, url: str) -> None:
    parsed = parse_destination(destination)
    check_destination_host(parsed, B)
    assert [p.url for p in plan_uploads([SCIENCE], parsed, B)] == [url]


@pytest.mark.parametrize("destination", ["data", f"{B}/data"])
def test_without_slash_is_a_file_name(destination: str) -> None:
    parsed = parse_destination(destination)
    assert not parsed.is_folder and parsed.path == "/data"


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("http://example.edu/data/", "not https"),
        ("ftp://example.edu/data/", "not https"),
        ("/a/../b/", "'..'"),
        (f"{B}/a/%2e%2e/b/", "'..'"),
        (f"{B}/a/%2E%2E/b/", "'..'"),
        ("./a/", "'.'"),
        (f"{B}/a/?x=1", "query"),
        (f"{B}/a/#frag", "fragment"),
        ("/a/\x07/", "control"),
        ("https://example.edu:notaport/", "invalid port"),
    ],
)
def test_refused_destinations(destination: str, message: str) -> None:
    with pytest.raises(DestinationError, match=message):
        parse_destination(destination)


@pytest.mark.parametrize(
    "other",
    ["https://evil.example/data/", f"{B}:8443/data/", "https://example.edu.evil.example/data/"],
)
def test_url_on_another_server_is_refused(other: str) -> None:
    with pytest.raises(DestinationError, match="not on this collection"):
        check_destination_host(parse_destination(other), B)


def test_names_are_percent_encoded_per_segment() -> None:
    assert url_for(B, "/a b/100%/x#?/é") == f"{B}/a%20b/100%25/x%23%3F/%C3%A9"


def test_collisions_name_both_files() -> None:
    files = [
        LocalFile("a/r.txt", PurePosixPath("r.txt"), 1),
        LocalFile("b/r.txt", PurePosixPath("r.txt"), 1),
    ]
    expected = re.escape("a/r.txt and b/r.txt would both be stored as /d/r.txt")
    with pytest.raises(SelectionError, match=expected):
        plan_uploads(files, parse_destination("/d/"), B)


def test_file_destination_needs_exactly_one_file() -> None:
    files = [SCIENCE, LocalFile("b", PurePosixPath("b"), 1)]
    with pytest.raises(DestinationError, match="end it with '/'"):
        plan_uploads(files, parse_destination("/d/x.json"), B)


def test_upload_order_sends_the_smallest_file_of_each_folder_first() -> None:
    sizes = {"x/big": 90, "x/small": 5, "y/only": 70, "top": 1, "x/mid": 40, "y/z/a": 3}
    files = [LocalFile(n, PurePosixPath(n), size) for n, size in sizes.items()]
    plan = plan_uploads(files, parse_destination("/d/"), B)
    order = [plan[i].source.path for i in upload_order(plan)]
    # one probe per folder (in plan order), then everything else in plan order
    assert order == ["x/small", "y/only", "top", "y/z/a", "x/big", "x/mid"]
    assert sorted(upload_order(plan)) == list(range(len(plan)))


def test_staging_folder_is_hidden_beside_the_destination_and_stable() -> None:
    assert staging_folder(parse_destination("/rel/1.2.0/")) == "/rel/.1.2.0.globusput-staging/"
    assert staging_folder(parse_destination("site/")) == "/.site.globusput-staging/"
    for bad in ("/", "/rel/file.txt"):
        with pytest.raises(DestinationError, match="whole-folder upload needs a destination"):
            staging_folder(parse_destination(bad))


def test_restage_moves_every_path_under_the_staging_folder() -> None:
    files = [LocalFile(n, PurePosixPath(n), 1) for n in ["a/b.txt", "c.txt"]]
    plan = plan_uploads(files, parse_destination("/rel/1/"), B)
    staged = restage(plan, "/rel/1/", "/rel/.1.globusput-staging/")
    assert [p.remote_path for p in staged] == [
        "/rel/.1.globusput-staging/a/b.txt",
        "/rel/.1.globusput-staging/c.txt",
    ]
    assert [p.source for p in staged] == [p.source for p in plan]
