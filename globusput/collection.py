"""The collection as Globus Transfer sees it: its HTTPS base URL, folders, listings, rename.

Every call here is a Transfer call, relayed to the collection's server and so slow: a
folder's listing answers for all its files, and which folders to make is decided once per run
by :mod:`globusput.folders`. Consent that Transfer asks for, session policies and dead logins
become errors that say what to do.
"""

from __future__ import annotations

import posixpath
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, Literal

import globus_sdk

from globusput.errors import (
    CollectionError,
    DestinationError,
    GlobusputError,
    ServiceError,
    consent_error,
    login_again,
    session_error,
)
from globusput.paths import absolute_folder
from globusput.refusals import REFUSED, RENAMES_COPY, WITHOUT, consent_scopes, service_error
from globusput.remote import ENDPOINT, CollectionInfo, Listing, RemoteEntry, walk

#: What ``mkdir -p`` found: the folder is new, was there, or Transfer refuses to make folders.
FolderState = Literal["created", "existed", "refused"]
#: Entries per ``ls`` request; Transfer's own default and maximum page.
LIST_PAGE = 100_000
#: Transfer calls a run makes at once on helper threads; the pacer keeps them within the rate.
TRANSFER_THREADS = 8


class Collection:
    """Transfer operations on one collection, each mapped to what globusput needs to know."""

    def __init__(
        self,
        client: globus_sdk.TransferClient,
        collection_id: uuid.UUID,
        identity: str,
        warn: Callable[[str], None],
        consent: Callable[[list[str]], None] | None = None,
        session: Callable[[Any], None] | None = None,
    ) -> None:
        """``consent`` gets the scopes of a ConsentRequired answer, and either obtains them
        (the call is then repeated) or raises saying how to grant them."""
        self._client = client
        self.id = str(collection_id)
        self.identity = identity
        self._warn = warn
        self._consent = consent
        self._session = session
        self._session_met = False
        self._consent_lock = threading.Lock()
        self._consented: set[str] = set()
        #: (operation, path) Transfer refused: that alone is off for the rest of the run (a
        #: guest collection's access is per path; one refusal is no verdict on the others)
        self.refused: set[tuple[str, str]] = set()
        #: folders Transfer will not list, being over its listing limit (also in ``refused``)
        self.oversized: set[str] = set()
        #: False once a listing says renames on this storage copy (``rename_supported``)
        self.renames_atomic = True
        self._home: str | None = None
        self._warned: set[str] = set()
        self._ahead: dict[str, Future[Any]] = {}  #: stats asked before they are needed

    def allowed(self, operation: str, path: str) -> bool:
        """False once Transfer refused ``operation`` ("ls", "stat", "mkdir", "rename" of
        something in the folder) on ``path``."""
        return (operation, path) not in self.refused

    def refused_of(self, operation: str, paths: Iterable[str]) -> list[str]:
        return [path for path in paths if (operation, path) in self.refused]

    def info(self) -> CollectionInfo:
        """Read the endpoint document; its ``https_server`` is where data goes."""
        doc = self._call(lambda: self._client.get_endpoint(self.id), "look up the collection")
        info = CollectionInfo.from_document(self.id, dict(doc.data))
        name = f"{info.display_name} ({self.id})"
        if info.entity_type == ENDPOINT or info.non_functional:
            raise CollectionError(
                f"{name} is a Globus Connect Server endpoint, not a collection: set "
                "GLOBUS_COLLECTION_ID to the id of one of its collections (Globus web app, "
                "Collections: the mapped or guest collection to upload to)"
            )
        if not info.base_url:
            kind = info.entity_type or "collection"
            raise CollectionError(
                f"collection {name} is a {kind} without an HTTPS server: uploads need a Globus "
                "Connect Server v5 collection with HTTPS enabled; choose one (a guest collection "
                "on it works) or ask its administrator"
            )
        if not info.base_url.startswith("https://"):
            raise CollectionError(
                f"collection {self.id} advertises a non-https server {info.base_url}"
            )
        return info

    def stat_ahead(self, path: str) -> None:
        """Ask for ``path``'s stat now, for a :meth:`stat` to come, so that its answer
        arrives while other calls are on their way. Without consent or warnings: an answer
        that is no plain one is asked for again when it is wanted."""
        pool = ThreadPoolExecutor(1, thread_name_prefix="stat")
        self._ahead[path] = pool.submit(self._client.operation_stat, self.id, path)
        pool.shutdown(wait=False)

    def stat(self, path: str) -> dict[str, Any] | None:
        """The Transfer stat entry of ``path``, None if it does not exist or Transfer refuses."""
        early = self._ahead.pop(path, None)
        if early is not None:
            try:
                return dict(early.result().data)
            except globus_sdk.TransferAPIError as exc:
                if _missing(exc):
                    return None
            except globus_sdk.GlobusError:
                pass
        found = self._look(lambda: self._client.operation_stat(self.id, path), "stat", path)
        return None if found is None else dict(found.data)

    def mkdir(self, folder: str) -> FolderState | GlobusputError:
        """One mkdir: the folder is new, was there, or Transfer refuses folder operations;
        any other refusal is returned, not raised (the parent may be missing: said as 404
        NotFound or some undocumented MkdirFailed variant), for the folders' owner to judge."""
        try:
            self._transfer(lambda: self._client.operation_mkdir(self.id, folder))
            return "created"
        except globus_sdk.TransferAPIError as exc:
            if "Exists" in str(exc.code):
                return "existed"
            if self._refused(exc, "mkdir", folder):
                return "refused"
            return self._service_error(exc, f"create folder {folder}")

    def home(self) -> str:
        """Where ``/~/`` is: Transfer resolves it (its listing's ``absolute_path``); the
        HTTPS server wants that absolute path. One ``ls``, the first time it is asked."""
        if self._home is None:
            call = partial(self._client.operation_ls, self.id, path="/~/", limit=1)
            page = self._look(call, "ls", "/~")
            where = absolute_folder(page.get("absolute_path") if page is not None else None)
            if where is None:
                raise DestinationError(
                    f"Globus Transfer did not say where /~/ is on collection {self.id} (its "
                    "listing names no absolute path): give the folder's absolute path instead"
                )
            self._home = where
        return self._home

    def listing(self, folder: str) -> dict[str, RemoteEntry] | None:
        """Name -> size and age of every entry in ``folder``: one request per folder (paged
        past 100,000 entries). None when the folder does not exist or Transfer refuses."""
        entries: dict[str, RemoteEntry] = {}
        offset = 0
        ls = partial(self._client.operation_ls, self.id, path=folder, show_hidden=True)
        while True:
            page = self._look(partial(ls, offset=offset, limit=LIST_PAGE), "ls", folder)
            if page is None:
                return None
            if page.get("rename_supported") is False and self.renames_atomic:
                self.renames_atomic = False
                self._warn(RENAMES_COPY)
            data = page.get("DATA") or []
            for entry in data:
                entries[str(entry.get("name"))] = RemoteEntry.from_listing(entry)
            offset += len(data)
            if len(data) < LIST_PAGE or offset >= int(page.get("total") or 0):
                return entries

    def listings(self, folders: Iterable[str]) -> dict[str, dict[str, RemoteEntry] | None]:
        """One listing per folder, several at a time (the pacer keeps them within the rate)."""
        folders = list(folders)
        if not folders:
            return {}
        with ThreadPoolExecutor(min(TRANSFER_THREADS, len(folders))) as pool:
            return dict(zip(folders, pool.map(self.listing, folders), strict=True))

    def walk(self, folders: Iterable[str]) -> dict[str, Listing | None]:
        """``folders`` and every folder below them (see :func:`globusput.remote.walk`)."""
        return walk(self.listings, folders)

    def _look(self, call: Callable[[], Any], operation: str, path: str) -> Any:
        """A read-only Transfer call; None when the path is missing or Transfer refuses."""
        if not self.allowed(operation, path):
            return None
        try:
            return self._transfer(call)
        except globus_sdk.TransferAPIError as exc:
            if _missing(exc):
                return None
            if self._refused(exc, operation, path):
                return None
            what = f"list {path}" if operation == "ls" else f"{operation} {path}"
            raise self._service_error(exc, what) from None

    def rename(self, old: str, new: str) -> None:
        try:
            self._transfer(lambda: self._client.operation_rename(self.id, old, new))
        except globus_sdk.TransferAPIError as exc:
            # later files of that folder then go in place, without renames
            self._refused(exc, "rename", posixpath.dirname(old))
            raise self._service_error(exc, f"rename {old} to {new}") from None

    def guarded(self, call: Callable[[globus_sdk.TransferClient], Any]) -> Any:
        """A call on this run's client (tasks: :mod:`globusput.tasks`), with its consent and
        session handling; other refusals are raised for the caller to judge."""
        return self._transfer(lambda: call(self._client))

    def _refused(self, exc: globus_sdk.TransferAPIError, operation: str, path: str) -> bool:
        """Permission denied for ``operation`` on ``path``, or a folder too large to list:
        that alone is off from now on (said once per kind), and the run carries on."""
        if operation == "ls" and "SizeLimit" in str(exc.code):
            self.oversized.add(path)
            operation = "oversized"
        elif exc.http_status != 403 and "PermissionDenied" not in str(exc.code):
            return False
        self.refused.add(("ls" if operation == "oversized" else operation, path))
        if operation not in self._warned:
            self._warned.add(operation)
            self._warn(
                f"Globus Transfer {REFUSED[operation].format(path)} on collection {self.id} "
                f"for {self.identity} ({exc.code}); continuing over HTTPS there: "
                f"{WITHOUT[operation]}"
            )
        return True

    def _call(self, call: Callable[[], Any], what: str) -> Any:
        try:
            return self._transfer(call)
        except globus_sdk.TransferAPIError as exc:
            if exc.http_status == 404 or exc.code in ("EndpointNotFound", "NotFound"):
                raise CollectionError(
                    f"collection {self.id} was not found by Globus Transfer: check "
                    "GLOBUS_COLLECTION_ID"
                ) from None
            raise self._service_error(exc, what) from None

    def _transfer(self, call: Callable[[], Any]) -> Any:
        """Every Transfer call goes through here. Consent that Transfer asks for is obtained
        once and the call repeated; a session policy, a dead login or an unreachable service
        become errors that say so, never "operations refused". Other refusals are raised for
        the caller to judge."""
        for attempt in range(2):
            try:
                return call()
            except globus_sdk.TransferAPIError as exc:
                scopes = consent_scopes(exc)
                if scopes is not None:
                    if attempt == 0 and self._consent is not None:
                        self.get_consent(scopes)
                        continue
                    raise consent_error(self.id, scopes, self.identity) from None
                if exc.info.authorization_parameters:
                    params = exc.info.authorization_parameters
                    if attempt == 0 and self._session is not None:
                        self._meet_session(params)
                        continue
                    person = self._session is not None  # a client's raised at attempt 0
                    raise session_error(params, self.id, self.identity, person) from None
                raise
            except globus_sdk.AuthAPIError as exc:
                raise login_again(exc, "Globus Transfer") from None
            except globus_sdk.NetworkError as exc:
                raise ServiceError(f"cannot reach Globus Transfer: {exc}") from None
        raise AssertionError("unreachable")

    def _meet_session(self, params: Any) -> None:
        """Once per run, whichever threads ran into the policy together."""
        with self._consent_lock:
            if not self._session_met:
                assert self._session is not None
                self._session(params)
                self._session_met = True

    def get_consent(self, scopes: list[str]) -> None:
        """Once per run for the same scopes, whichever threads ran into it together."""
        with self._consent_lock:
            if set(scopes) <= self._consented:
                return
            assert self._consent is not None
            self._consent(scopes)
            self._consented.update(scopes)

    def _service_error(self, exc: globus_sdk.TransferAPIError, what: str) -> GlobusputError:
        return service_error(exc, what, self.id, self.identity)


def _missing(exc: globus_sdk.TransferAPIError) -> bool:
    """A read-only call's answer that the path is not there."""
    return exc.http_status == 404 or "NotFound" in str(exc.code)
