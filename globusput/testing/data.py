"""A collection's HTTPS server (Globus Connect Server v5 as observed): PUT/GET/HEAD/DELETE.

Where each behaviour comes from: methods, no listing, folders made through Transfer: GCS v5
"HTTPS Access to Collections" (docs.globus.org/globus-connect-server/v5/https-access-collections/);
``Range`` answered 206, suffix ranges 416: observed; 302 to a login page without a token, 200
with an HTML step-up page, 404 ``ENDPOINT_ERROR`` under load, ``Server: Apache``: observed (the
original upload script's notes). Undocumented, so each plausible answer behind a switch: a PUT
into a missing folder or onto a folder (``Collection.missing_folder_status``), an expired
token (``StandIn.expired_token_status``), a HEAD's ``Content-Length``/``Last-Modified``
(``Collection.head_content_length``/``head_last_modified``), the ``ENDPOINT_ERROR`` body's
shape (``Fault.body``), a token without ``data_access`` (403 here; real ones may say 401).
"""

from __future__ import annotations

import email.utils
import os
import re
import time
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlsplit

from globusput.testing.model import Collection, Fault, data_token_fits, https_scope
from globusput.testing.pages import STEP_UP_PAGE, fault_answer
from globusput.testing.people import session_satisfied
from globusput.testing.state import State
from globusput.testing.tlsserver import Handler

#: Seconds a GET waits before a scripted reset.
RESET_PAUSE = 0.5


class DataHandler(Handler):
    server_version = "Apache"
    sys_version = ""

    def version_string(self) -> str:
        return "Apache"

    @property
    def standin(self) -> State:
        return self.server.standin  # type: ignore[attr-defined, no-any-return]

    @property
    def collection(self) -> Collection:
        return self.server.collection  # type: ignore[attr-defined, no-any-return]

    def do_PUT(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self.send(200, headers={"Allow": "GET, HEAD, PUT, DELETE, OPTIONS"})

    def _handle(self) -> None:
        # names are bytes on a collection's filesystem: a name that is not UTF-8 keeps them
        cpath = os.fsdecode(unquote_to_bytes(urlsplit(self.path).path))
        route = f"data.{self.command}"
        self.standin.record(
            route,
            method=self.command,
            path=cpath,
            authorized="Authorization" in self.headers,
            collection=self.collection.id,
            range=self.headers.get("Range"),
        )
        self.standin.wait_latency("data")
        fault = self.standin.take_fault(route, cpath)
        if fault is not None and fault.kind == "expire":
            self.standin.expire_tokens()
            fault = None
        if fault is not None and fault.kind == "reset" and self.command != "GET":
            if self.command == "PUT":
                self._store(cpath, limit=fault.after_bytes)
            self.reset_connection()
        if not self._authorized(cpath):
            return
        if fault is not None and fault.kind not in ("delay", "slow", "stall", "truncate", "reset"):
            self._fault(fault)
            return
        try:
            target = self.collection.fs_path(cpath)
        except ValueError:
            self.drain_body()
            self.send(400, b"bad path", "text/plain")
            return
        if self.command == "PUT":
            if not self._put(cpath, fault):
                return
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds)
                self.close_connection = True
            self.send(200)
        elif self.command == "DELETE":
            if not target.is_file():
                self.send(404, b"Not Found", "text/plain")
                return
            target.unlink()
            self.send(204)
        else:
            self._get(target, fault)

    def _authorized(self, cpath: str) -> bool:
        """Redirect to login without a token; 401/403 for tokens that do not fit."""
        value = self.bearer_token()
        if value is None:
            self.drain_body()
            location = (
                f"{self.standin.url}v2/oauth2/authorize?client_id={self.collection.id}"
                f"&scope={quote(https_scope(self.collection.id), safe='')}&response_type=code"
            )
            self.send(
                302,
                b"<html><body>Redirecting to Globus login</body></html>",
                "text/html",
                {"Location": location},
            )
            return False
        token = self.standin.valid_token(value)
        if token is None:
            self.drain_body()
            # an expired token's answer is undocumented: 401 or 403, as the stand-in is set
            expired = self.standin.known_token(value) is not None
            status = self.standin.expired_token_status if expired else 401
            self.send(status, b"Unauthorized", "text/plain")
            return False
        if not data_token_fits(token, self.collection):
            self.drain_body()
            self.send(403, b"Forbidden: token is not for this collection", "text/plain")
            return False
        if not session_satisfied(token, self.collection):
            self.drain_body()
            self.send(200, STEP_UP_PAGE, "text/html; charset=utf-8")
            return False
        if not self.collection.allows(token.username, cpath):
            self.drain_body()
            self.send(403, b"Forbidden", "text/plain")
            return False
        return True

    def _fault(self, fault: Fault) -> None:
        self.drain_body()
        status, reason, body, headers = fault_answer(fault, self.bearer_token() or "")
        self.send_response(status, reason)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _put(self, cpath: str, fault: Fault | None) -> bool:
        """Store the body; a PUT onto a folder or into a missing one is refused with the
        collection's ``missing_folder_status`` (Globus does not document its answer)."""
        target = self.collection.fs_path(cpath)
        if target.is_dir() or not target.parent.is_dir():
            self.drain_body()
            self.standin.record("refused.folder", path=cpath)  # not a data route: counted apart
            status = self.collection.missing_folder_status
            self.send(status, f"refused ({status})".encode(), "text/plain")
            return False
        if fault is not None and fault.kind == "truncate":
            self._store(cpath, limit=fault.after_bytes)
            self.drain_body(already=min(fault.after_bytes, self.body_length()))
        else:
            self._store(cpath, fault=fault)
        return True

    def _store(self, cpath: str, limit: int | None = None, fault: Fault | None = None) -> None:
        """Write straight under the final name: an interrupted PUT leaves a truncated file.
        ``slow`` reads at its rate; ``stall`` stops reading a while, as storage flushing would."""
        rate = fault.rate if fault is not None and fault.kind == "slow" else 0
        stall = fault if fault is not None and fault.kind == "stall" else None
        target = self.collection.fs_path(cpath)
        if target.is_dir() or not target.parent.is_dir():
            return
        remaining = self.body_length() if limit is None else min(limit, self.body_length())
        block = min(1 << 20, rate) if rate else 1 << 20
        with open(target, "wb") as out:
            while remaining > 0:
                if stall is not None and out.tell() >= stall.after_bytes:
                    time.sleep(stall.seconds)
                    stall = None
                chunk = self.rfile.read(min(remaining, block))
                if not chunk:
                    break
                out.write(chunk)
                out.flush()
                remaining -= len(chunk)
                if rate:
                    time.sleep(len(chunk) / rate)

    def _get(self, target: Path, fault: Fault | None) -> None:
        if not target.is_file():
            self.send(404, b"Not Found" if self.command == "GET" else b"", "text/plain")
            return
        info = target.stat()
        headers = {
            "Last-Modified": email.utils.formatdate(info.st_mtime, usegmt=True),
            "Accept-Ranges": "bytes",
        }
        if self.command == "GET":
            self._send_file(target, info.st_size, headers, fault)
            return
        if self.command == "HEAD":
            if not self.collection.head_last_modified:
                del headers["Last-Modified"]
            self.send_response(200)
            for name, value in headers.items():
                self.send_header(name, value)
            if self.collection.head_content_length:
                self.send_header("Content-Length", str(info.st_size))
            else:
                self.close_connection = True  # no length: the end of the answer is the close
            self.end_headers()

    def _send_file(
        self, target: Path, size: int, headers: dict[str, str], fault: Fault | None
    ) -> None:
        """200, or 206 for one ``bytes=START-[END]`` range (416 past the end, and for suffix
        ranges ``bytes=-N``, as observed); streamed. Faults: ``reset`` sends ``after_bytes`` of
        the body then resets, ``truncate`` closes cleanly after them (the length promised more),
        ``slow`` sends at ``rate`` bytes per second."""
        start, end = 0, size - 1
        wanted = self.headers.get("Range") if self.collection.honours_range else None
        status = 200
        if wanted is not None:
            found = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
            if found is None or int(found[1]) >= size:
                self.send(416, b"", headers={"Content-Range": f"bytes */{size}"})
                return
            start = int(found[1])
            end = min(int(found[2]), size - 1) if found[2] else size - 1
            if end < start:
                self.send(416, b"", headers={"Content-Range": f"bytes */{size}"})
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self.send_response(status)
        headers.update({"Content-Type": "application/octet-stream"})
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        cut = (
            fault.after_bytes if fault is not None and fault.kind in ("reset", "truncate") else None
        )
        rate = fault.rate if fault is not None and fault.kind == "slow" else 0
        remaining, sent = end - start + 1, 0
        with open(target, "rb") as source:
            source.seek(start)
            while remaining > 0:
                block = min(remaining, min(1 << 20, rate) if rate else 1 << 16)
                if cut is not None:
                    block = min(block, cut - sent)
                    if block <= 0:
                        break
                chunk = source.read(block)
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
                remaining -= len(chunk)
                if rate:
                    time.sleep(len(chunk) / rate)
        self.standin.record("sent.GET", bytes=sent, start=start)  # not a request: counted apart
        if cut is not None and remaining > 0:
            self.wfile.flush()
            if fault is not None and fault.kind == "reset":
                # a pause first, so the client has read what was sent (a reset would discard
                # what it had not) and the break is where the test put it
                time.sleep(RESET_PAUSE)
                self.reset_connection()
            self.close_connection = True
