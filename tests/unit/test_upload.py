"""A file's failure says where it happened: on this machine or on the network."""

from __future__ import annotations

import io
import threading
from pathlib import PurePosixPath
from typing import Any

import pytest
import requests

from globusput.body import HashingReader
from globusput.layout import PlannedUpload
from globusput.selection import LocalFile
from globusput.upload import Uploader

ITEM = PlannedUpload(LocalFile("out/a.bin", PurePosixPath("a.bin"), 3), "/d/a.bin", "https://h")


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
