"""Paths on the collection, decided without the network: the destination matrix, URLs,
remote paths from the command line."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from globusput.errors import ConfigError, DestinationError
from globusput.paths import check_destination_host, parse_destination, remote_specs, url_for
from globusput.plans import (
    plan_uploads,
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


def test_remote_paths_are_absolute() -> None:
    with pytest.raises(ConfigError, match=re.escape("give it from the top, e.g. /rel/a.whl")):
        remote_specs(["./rel/a.whl"])


def test_a_home_destination_is_rebased_on_the_folder_transfer_names() -> None:
    from globusput.paths import absolute_folder, in_home, rebase_home

    assert in_home(parse_destination("~/reports/")) and in_home(parse_destination("/~/"))
    assert not in_home(parse_destination("/data/~/")) and not in_home(parse_destination("/~x/"))
    assert rebase_home(parse_destination("/~/reports/"), "/home/jdoe").path == (
        "/home/jdoe/reports/"
    )
    assert rebase_home(parse_destination("/~/a.txt"), "/").path == "/a.txt"
    assert rebase_home(parse_destination("/~/"), "/home/jdoe").path == "/home/jdoe/"
    assert absolute_folder("/home/jdoe/") == "/home/jdoe" and absolute_folder("/") == ""
    for lie in (None, "", "home/jdoe", "/home/../etc", "/~/again", "/a//b", 7):
        assert absolute_folder(lie) is None, lie
