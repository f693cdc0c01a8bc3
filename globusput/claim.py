"""A whole-folder upload's claim on its staging folder: globusput's own record, beside it.

The staging folder's name depends only on the destination, so that a rerun finds it; that
also lets a folder someone planted, or a concurrent run's, pose as one. So the run that makes
the folder (``mkdir`` is atomic: one run gets "created") writes a record beside it: which
destination, which selection (a digest of every file's place, size and SHA-256) and which run
fills it now. A folder is resumed only under a record of the same destination and selection,
the resuming run takes the record over, and only the run the record names publishes: of two
concurrent runs, one publishes and the other stops without publishing anything.

Costs per whole-folder run: one PUT of the record, one GET before publishing, one DELETE
after; a resumed folder one GET more. The record lives beside the staging folder, not in it,
so it is never published.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests

from globusput.channel import describe, read_head
from globusput.errors import CollectionError, Permanent, Retryable, Unauthorized
from globusput.paths import hidden_sibling, url_for

if TYPE_CHECKING:
    from globusput.channel import Channel, Method
    from globusput.plans import PlannedUpload

#: A record is a few hundred bytes; anything longer is not globusput's.
RECORD_LIMIT = 4096


@dataclass(frozen=True)
class Record:
    destination: str  #: the folder the staging folder becomes
    selection: str  #: SHA-256 over every file's place, size and SHA-256
    files: int
    run: str  #: the run filling the folder now

    def to_bytes(self) -> bytes:
        return json.dumps({"globusput-staging": 1, **self.__dict__}, sort_keys=True).encode()


def new_run() -> str:
    return secrets.token_hex(8)


def record_path(final: str) -> str:
    """``/rel/1.0/`` → ``/rel/.1.0.globusput-staging.json``, beside the staging folder."""
    parent, name = posixpath.split(final.rstrip("/"))
    return posixpath.join(parent, hidden_sibling(name, ".globusput-staging.json"))


def selection_digest(plan: Sequence[PlannedUpload], staging: str, hashes: Sequence[str]) -> str:
    """One digest of the files as this run would stage them: the same digest means the same
    places, sizes and contents, whatever order they were selected in."""
    lines = sorted(
        f"{item.path[len(staging) :]}\0{item.source.size}\0{sha256}"
        for item, sha256 in zip(plan, hashes, strict=True)
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def parse_record(data: bytes) -> Record | None:
    """globusput's record, or None for anything else (a planted or truncated file)."""
    try:
        value = json.loads(data)
        if not isinstance(value, dict) or value.pop("globusput-staging", None) != 1:
            return None
        record = Record(**value)
    except (ValueError, TypeError):
        return None
    fields = (record.destination, record.selection, record.run)
    if not all(isinstance(f, str) for f in fields) or not isinstance(record.files, int):
        return None
    return record


@dataclass(frozen=True)
class _Spot:
    """What a refusal is about, for the channel's permission messages."""

    path: str

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.path)


class RecordStore:
    """Reads, writes and removes the record over the collection's HTTPS server."""

    def __init__(self, channel: Channel, base_url: str, final: str) -> None:
        self.channel = channel
        self.spot = _Spot(record_path(final))
        self.url = url_for(base_url, self.spot.path)

    def read(self) -> Record | None:
        response = self._exchange("GET")
        return None if response is None else parse_record(response.content)

    def write(self, record: Record) -> None:
        self._exchange("PUT", record.to_bytes())

    def remove(self) -> bool:
        try:
            self._exchange("DELETE")
        except CollectionError:
            return False
        return True

    def _exchange(self, method: Method, body: bytes | None = None) -> requests.Response | None:
        """One small request, retried like any file's; None for a record that is not there."""
        retry = self.channel.retry_policy()
        renewed = False
        while True:
            try:
                try:
                    with self.channel.limit(len(body or b"")):
                        response, generation = self.channel.request(
                            method, self.url, data=body, stream=True
                        )
                        with response:
                            read_head(response, RECORD_LIMIT)
                except requests.RequestException as exc:
                    raise Retryable(describe(exc)) from None
                if response.status_code == 404 and method != "PUT":
                    return None
                self.channel.judge(method, response, generation, self.spot)
                return response
            except Unauthorized as exc:
                if self.channel.renewed(exc, renewed):
                    renewed = True
                    continue
                raise CollectionError(self._failed(exc.final)) from None
            except Permanent as exc:
                raise CollectionError(self._failed(exc)) from None
            except Retryable as exc:
                try:
                    retry = self.channel.pause(retry, exc, method, self.url, "again")
                except Permanent as final:
                    raise CollectionError(self._failed(final)) from None

    def _failed(self, exc: Exception) -> str:
        return f"the staging record {self.spot.path} could not be read or written: {exc}"
