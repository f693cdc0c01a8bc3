"""One file up, over a scripted transport: where a failure happened, what an answer means,
folders made once, and nothing truncated left under a name."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path, PurePosixPath
from typing import Any, cast

import pytest
import requests

from globusput.body import HashingReader
from globusput.collection import Collection as RealCollection
from globusput.folders import Folders
from globusput.placement import Placement
from globusput.plans import PlannedUpload
from globusput.selection import LocalFile
from globusput.upload import Uploader

from .fakes import Collection, ScriptedTransport, Tokens, channel, response

ITEM = PlannedUpload(LocalFile("out/a.bin", PurePosixPath("a.bin"), 3), "/d/a.bin", "https://h")
DATA = b"hello, collection"


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (requests.ConnectionError("reset"), "network error talking to the collection"),
        (requests.exceptions.InvalidHeader("bad"), "answer could not be read (InvalidHeader)"),
        (PermissionError(13, "Permission denied"), "cannot read out/a.bin: Permission denied"),
    ],
)
def test_failures_are_placed_where_they_happened(exc: Exception, words: str) -> None:
    outcome = Uploader.failed(ITEM, exc)
    assert words in (outcome.error or "")


class _Broken(io.BytesIO):
    def read(self, *args: Any) -> bytes:
        raise OSError(5, "Input/output error")


def test_a_read_error_inside_the_http_stack_is_remembered_as_local() -> None:
    body = HashingReader(_Broken(), 3, threading.Event(), lambda n: None)
    with pytest.raises(OSError):
        body.read(3)
    assert body.read_error is not None and body.read_error.strerror == "Input/output error"


class MadeFolders(Folders):
    """Folders whose mkdir is counted, not sent."""

    def __init__(self, collection: Collection) -> None:
        super().__init__(cast(RealCollection, collection))
        self.made: list[str] = []

    def _mkdir_p(self, folder: str, probe: bool = False) -> Any:
        self.made.append(folder)
        return "created"


def upload(
    tmp_path: Path, transport: ScriptedTransport, **kw: Any
) -> tuple[Any, ScriptedTransport, MadeFolders]:
    path = tmp_path / "a.bin"
    path.write_bytes(DATA)
    item = PlannedUpload(
        LocalFile(str(path), PurePosixPath("a.bin"), len(DATA)), "/d/a.bin", "https://h"
    )
    collection = Collection()
    folders = MadeFolders(collection)
    placement = Placement(cast(RealCollection, collection), None)
    uploader = Uploader(placement=placement, folders=folders, **channel(transport, **kw))
    return uploader.upload(item, check_size=True), transport, folders


def stored(size: int = len(DATA)) -> requests.Response:
    return response(200, headers={"Content-Length": str(size)})


def test_a_put_and_its_size_read_back(tmp_path: Path) -> None:
    outcome, transport, folders = upload(tmp_path, ScriptedTransport(response(200), stored()))
    assert outcome.status == "uploaded"
    assert outcome.sha256 == hashlib.sha256(DATA).hexdigest()
    assert [(s.method, s.url) for s in transport.sent] == [
        ("PUT", "https://h/d/a.bin"),
        ("HEAD", "https://h/d/a.bin"),
    ]
    assert transport.sent[0].body == DATA
    assert transport.sent[0].headers["Authorization"] == "Bearer token-0"
    assert folders.made == [] and folders.known("/d")


def test_a_missing_folder_is_made_once_and_the_file_sent_again(tmp_path: Path) -> None:
    script = ScriptedTransport(response(409), response(200), stored())
    outcome, transport, folders = upload(tmp_path, script)
    assert outcome.status == "uploaded" and folders.made == ["/d"]
    assert [s.method for s in transport.sent] == ["PUT", "PUT", "HEAD"]


def test_a_stored_size_that_differs_is_sent_again(tmp_path: Path) -> None:
    script = ScriptedTransport(response(200), stored(3), response(200), stored())
    outcome, _, _ = upload(tmp_path, script)
    assert outcome.status == "uploaded" and outcome.attempts == 2


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (response(302, headers={"Location": "https://elsewhere.example/"}), "redirected (302)"),
        (response(200, b"<!DOCTYPE html><html>login</html>"), "HTML page"),
    ],
)
def test_login_pages_fail_and_a_redirect_is_not_followed(
    tmp_path: Path, answer: requests.Response, words: str
) -> None:
    outcome, transport, _ = upload(tmp_path, ScriptedTransport(answer))
    assert outcome.status == "failed" and outcome.auth_failure and words in outcome.error
    assert {s.url for s in transport.sent} == {"https://h/d/a.bin"}


def test_an_unanswered_put_whose_file_is_stored_is_not_sent_again(tmp_path: Path) -> None:
    fresh = response(
        200,
        headers={
            "Content-Length": str(len(DATA)),
            "Last-Modified": "Fri, 01 Jan 2100 00:00:00 GMT",
        },
    )
    script = ScriptedTransport(requests.ConnectionError("reset after the body"), fresh)
    outcome, transport, _ = upload(tmp_path, script)
    assert outcome.status == "uploaded"
    assert [s.method for s in transport.sent] == ["PUT", "HEAD"]


def test_an_interrupted_put_is_removed_from_its_name(tmp_path: Path) -> None:
    """Retries spent on a connection cut mid-body: the truncated file does not stay."""

    def cut(request: requests.PreparedRequest) -> Exception:
        return requests.ConnectionError("reset")

    script = ScriptedTransport(cut)
    outcome, transport, _ = upload(tmp_path, script, tokens=Tokens())
    assert outcome.status == "failed" and "gave up after 3 attempts" in outcome.error
    assert transport.sent[-1].method == "DELETE" and transport.sent[-1].url == "https://h/d/a.bin"
