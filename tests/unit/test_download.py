"""One file down, over a scripted transport: resumed, restarted, checked, never written
through a login page, never followed to another host."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import ProtocolError

from globusput.download import Downloader
from globusput.plans import PlannedDownload, plan_downloads

from .fakes import ScriptedTransport, Tokens, channel, raw, response

DATA = bytes(range(256)) * 40  # 10 KiB


class Broken:
    """An answer's body that breaks after ``after`` bytes, as a reset connection does."""

    def __init__(self, data: bytes, after: int) -> None:
        self.data = data[:after]

    def stream(self, amount: int, decode_content: bool = True) -> Iterator[bytes]:
        yield self.data
        raise ProtocolError("Connection broken: connection reset")

    def close(self) -> None:
        pass


def broken(after: int) -> requests.Response:
    answer = response(200, headers={"Content-Length": str(len(DATA))})
    answer.raw = Broken(DATA, after)
    return answer


def part(first: int) -> requests.Response:
    rest = DATA[first:]
    headers = {"Content-Range": f"bytes {first}-{len(DATA) - 1}/{len(DATA)}"}
    return response(206, rest, {**headers, "Content-Length": str(len(rest))})


def fetch(
    tmp_path: Path, transport: ScriptedTransport, sha256: str | None = None, **kw: object
) -> tuple[Downloader, object, Path]:
    sha = {"/r/a.bin": sha256} if sha256 else None
    (item,) = plan_downloads([("/r/a.bin", None)], tmp_path, "https://h", sha)
    downloader = Downloader(**channel(transport, **kw))  # type: ignore[arg-type]
    return downloader, downloader.fetch(item), item.local


def test_a_whole_answer_lands_under_its_name_with_its_hash(tmp_path: Path) -> None:
    transport = ScriptedTransport(response(200, DATA, {"Content-Length": str(len(DATA))}))
    _, outcome, local = fetch(tmp_path, transport)
    assert outcome.status == "fetched" and outcome.size == len(DATA)  # type: ignore[attr-defined]
    assert outcome.sha256 == hashlib.sha256(DATA).hexdigest()  # type: ignore[attr-defined]
    assert local.read_bytes() == DATA and local == tmp_path / "r" / "a.bin"
    assert transport.sent[0].headers["Authorization"] == "Bearer token-0"
    assert [p.name for p in local.parent.iterdir()] == ["a.bin"]  # no temporary file left


def test_a_broken_answer_is_resumed_from_the_first_missing_byte(tmp_path: Path) -> None:
    transport = ScriptedTransport(broken(4096), part(4096))
    _, outcome, local = fetch(tmp_path, transport, hashlib.sha256(DATA).hexdigest())
    assert outcome.status == "fetched", outcome  # type: ignore[attr-defined]
    assert local.read_bytes() == DATA
    assert transport.sent[1].headers["Range"] == "bytes=4096-"


def test_a_server_ignoring_ranges_is_read_again_from_the_start(tmp_path: Path) -> None:
    whole = response(200, DATA, {"Content-Length": str(len(DATA))})
    transport = ScriptedTransport(broken(4096), whole)
    _, outcome, local = fetch(tmp_path, transport)
    assert outcome.status == "fetched" and local.read_bytes() == DATA  # type: ignore[attr-defined]


def test_another_file_than_the_manifest_names_is_refused_and_not_kept(tmp_path: Path) -> None:
    transport = ScriptedTransport(response(200, DATA, {"Content-Length": str(len(DATA))}))
    _, outcome, local = fetch(tmp_path, transport, "0" * 64)
    assert outcome.status == "failed" and outcome.mismatch  # type: ignore[attr-defined]
    assert "SHA-256 of the copy" in (outcome.error or "")  # type: ignore[attr-defined]
    assert not local.exists() and list(local.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (response(302, headers={"Location": "https://elsewhere.example/login"}), "redirected"),
        (response(200, b"<html>log in</html>", {"Content-Type": "text/html"}), "HTML page"),
    ],
)
def test_login_pages_are_failures_and_a_redirect_is_not_followed(
    tmp_path: Path, answer: requests.Response, words: str
) -> None:
    transport = ScriptedTransport(answer)
    (item,) = plan_downloads([("/r/a.bin", None)], tmp_path, "https://h")
    item = item.__class__(**{**item.__dict__, "size": len(DATA)})
    outcome = Downloader(**channel(transport)).fetch(item)  # type: ignore[arg-type]
    assert outcome.status == "failed" and outcome.auth_failure
    assert words in (outcome.error or "")
    assert [s.url for s in transport.sent] == ["https://h/r/a.bin"]  # the token went nowhere else
    assert not item.local.exists()


def test_a_refused_token_is_renewed_once(tmp_path: Path) -> None:
    tokens = Tokens()
    transport = ScriptedTransport(response(401), response(401))
    _, outcome, _ = fetch(tmp_path, transport, tokens=tokens)
    assert outcome.status == "failed" and "permission denied (401)" in outcome.error  # type: ignore[attr-defined]
    assert tokens.renewals == 1
    assert [s.headers["Authorization"] for s in transport.sent] == [
        "Bearer token-0",
        "Bearer token-1",
    ]


def test_a_transient_answer_is_retried(tmp_path: Path) -> None:
    transport = ScriptedTransport(
        response(503), response(200, DATA, {"Content-Length": str(len(DATA))})
    )
    _, outcome, local = fetch(tmp_path, transport)
    assert outcome.status == "fetched" and local.read_bytes() == DATA  # type: ignore[attr-defined]
    assert len(transport.sent) == 2


def listed(tmp_path: Path, size: int | None, path: str = "/r/a.bin") -> PlannedDownload:
    (item,) = plan_downloads([(path, None)], tmp_path, "https://h")
    return dataclasses.replace(item, size=size)


@pytest.mark.parametrize(
    ("size", "answer", "words"),
    [
        (len(DATA), response(200, DATA * 3, {"Content-Length": str(3 * len(DATA))}), "offers"),
        (len(DATA), response(200, DATA * 3), "sent more than the 10240 bytes it listed"),
        (None, response(200, DATA * 3, {"Content-Length": "10"}), "more than the 10 bytes"),
        (len(DATA), response(200, DATA, {"Content-Encoding": "gzip"}), "gzip-encoded"),
    ],
    ids=["length-differs", "more-than-listed", "more-than-announced", "encoded"],
)
def test_a_server_that_sends_other_than_it_said_is_refused_and_nothing_kept(
    tmp_path: Path, size: int | None, answer: requests.Response, words: str
) -> None:
    transport = ScriptedTransport(answer)
    item = listed(tmp_path, size)
    outcome = Downloader(**channel(transport)).fetch(item)  # type: ignore[arg-type]
    assert outcome.status == "failed" and words in (outcome.error or ""), outcome.error
    assert transport.sent[0].headers["Accept-Encoding"] == "identity"
    assert not item.local.exists() and list(item.local.parent.iterdir()) == []


class Counted(io.BytesIO):
    """A body that counts what was read of it."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)


def test_a_huge_error_body_is_not_read(tmp_path: Path) -> None:
    body = Counted(b"x" * (10 << 20))
    answer = response(404)
    answer.raw = raw(body, 404)
    item = listed(tmp_path, 1)
    outcome = Downloader(**channel(ScriptedTransport(answer))).fetch(item)  # type: ignore[arg-type]
    assert outcome.status == "failed" and "not on the collection (404)" in (outcome.error or "")
    assert body.taken < 64 << 10


@pytest.mark.parametrize(("path", "kept"), [("/r/a.bin", False), ("/r/index.html", True)])
def test_an_html_answer_of_unknown_size_is_kept_only_for_a_page(
    tmp_path: Path, path: str, kept: bool
) -> None:
    page = response(200, b"<html>hi</html>", {"Content-Type": "text/html"})
    item = listed(tmp_path, None, path)
    outcome = Downloader(**channel(ScriptedTransport(page))).fetch(item)  # type: ignore[arg-type]
    assert (outcome.status == "fetched") is kept and item.local.exists() is kept


def test_no_folder_is_made_through_a_link_that_leads_outside(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "back", tmp_path / "elsewhere"
    elsewhere.mkdir()
    root.mkdir()
    (root / "rel").symlink_to(elsewhere)
    (item,) = plan_downloads([("/rel/sub/a.bin", None)], root, "https://h")
    transport = ScriptedTransport(response(200, DATA, {"Content-Length": str(len(DATA))}))
    outcome = Downloader(**channel(transport)).fetch(item)  # type: ignore[arg-type]
    assert outcome.status == "failed" and "leads outside" in (outcome.error or "")
    assert list(elsewhere.iterdir()) == [] and transport.sent == []
