"""One file down, over a scripted transport: resumed, restarted, checked, never written
through a login page, never followed to another host."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import ProtocolError

from globusput.download import Downloader
from globusput.plans import plan_downloads

from .fakes import ScriptedTransport, Tokens, channel, response

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
