"""Stand-ins for what the movers talk to, so that they run without a network: a scripted HTTP
transport mounted on a real requests session, a token source, and a collection."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter
from urllib3.response import HTTPResponse

from globusput.progress import Progress

Answer = Callable[[requests.PreparedRequest], "requests.Response | Exception"]


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def response(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer.raw = raw(io.BytesIO(body), status, headers)
    answer.headers.update(headers or {})
    answer.reason = {200: "OK", 206: "Partial Content", 404: "Not Found"}.get(status, "X")
    return answer


def raw(body: io.BytesIO, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    """A urllib3 answer reading ``body``, as requests' own transport would hand over."""
    return HTTPResponse(
        body=body,
        headers=headers or {},
        status=status,
        preload_content=False,
        enforce_content_length=False,  # a HEAD names a length it does not send
    )


class ScriptedTransport(BaseAdapter):
    """Answers each request with the next answer of the script (the last one repeats)."""

    def __init__(self, *answers: requests.Response | Exception | Answer) -> None:
        super().__init__()
        self.answers = list(answers)
        self.sent: list[Sent] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body
        if hasattr(body, "read"):
            chunks = []
            while chunk := body.read(1 << 16):  # type: ignore[union-attr]
                chunks.append(chunk)
            data = b"".join(chunks)
        else:
            data = body if isinstance(body, bytes) else (body or "").encode()
        self.sent.append(Sent(str(request.method), str(request.url), dict(request.headers), data))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer) and not isinstance(answer, requests.Response):
            answer = answer(request)
        if isinstance(answer, Exception):
            raise answer
        answer.request = request
        answer.url = str(request.url)
        return answer

    def close(self) -> None:
        pass


class Tokens:
    """A token source that can renew once."""

    def __init__(self, renewable: bool = True) -> None:
        self.generation = 0
        self.renewable = renewable
        self.renewals = 0

    def header(self) -> tuple[str, int]:
        return f"Bearer token-{self.generation}", self.generation

    def renew(self, generation: int, status: int = 401) -> bool:
        if not self.renewable:
            return False
        self.renewals += 1
        self.generation += 1
        return True


@dataclass
class Collection:
    id: str = "coll"
    identity: str = "c@clients.auth.globus.org"
    listed: dict[str, Any] = field(default_factory=dict)
    refused: set[tuple[str, str]] = field(default_factory=set)

    def allowed(self, operation: str, path: str) -> bool:
        return (operation, path) not in self.refused

    def listing(self, folder: str) -> Any:
        return self.listed.get(folder)


def channel(transport: ScriptedTransport, tokens: Tokens | None = None) -> dict[str, Any]:
    """What a mover is made with, over ``transport``: no backoff, two retries."""
    session = requests.Session()
    session.mount("https://", transport)
    return {
        "session": session,
        "authorizer": tokens or Tokens(),
        "identity": "c@clients.auth.globus.org",
        "collection_id": "coll",
        "verify_tls": True,
        "retries": 2,
        "backoff": 0.0,
        "timeout": 5.0,
        "cancel": threading.Event(),
        "debug": lambda line: None,
        "progress": Progress(),
    }
