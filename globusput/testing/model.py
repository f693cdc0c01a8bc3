"""What the stand-in's Globus is made of: identifiers, scopes, tokens, collections and
scripted faults, as plain data shared by every service of the stand-in (how far away it is:
:mod:`globusput.testing.distance`).

Sources: scope strings and ``entity_type`` values as the Globus Auth and Transfer API
references name them, checked against globus-sdk 4.10's ``scopes``, ``testing/data`` fixtures
and ``experimental/gcs_downloader.py`` by tests/unit/test_standin_sources.py.
"""

from __future__ import annotations

import datetime
import os
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from globusput.testing.tlsserver import TLSServer

#: Transfer's resource server and scope, Auth's resource server: Globus Auth API reference;
#: globus-sdk ``TransferScopes.all`` (checked in tests/unit/test_standin_sources.py).
TRANSFER_RS = "transfer.api.globus.org"
TRANSFER_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"
AUTH_RS = "auth.globus.org"

#: Identifiers the demo and README use, so commands can be written out literally.
DEMO_CLIENT_ID = "3f4e1b2a-9c1d-4c7e-8a55-6d2f0e9b1c01"
DEMO_COLLECTION_ID = "6528bad5-bc02-497d-8a4f-a38547d0e72a"
#: The Native App a person logs in with (the id Globus registered for globusput), and the
#: stand-in's one person, who may write to the demo collection.
DEMO_NATIVE_CLIENT_ID = "fe8e6f96-8254-4554-b4f6-0ba17e526669"
DEMO_USERNAME = "alice@example.org"

#: Collection types as Transfer names them (``entity_type``): Transfer API reference,
#: endpoints and collections; globus-sdk ``experimental/gcs_downloader.py`` for the mapped one.
GUEST = "GCSv5_guest_collection"
MAPPED = "GCSv5_mapped_collection"
ENDPOINT = "GCSv5_endpoint"


# Collection scopes: globus-sdk ``GCSCollectionScopes`` (checked in the same test).
def https_scope(collection_id: str) -> str:
    return f"https://auth.globus.org/scopes/{collection_id}/https"


def data_access_scope(collection_id: str) -> str:
    return f"https://auth.globus.org/scopes/{collection_id}/data_access"


@dataclass
class Token:
    value: str
    identity_id: str
    username: str
    resource_server: str
    scopes: list[str]
    expires_at: float
    refresh_token: str | None = None
    client_id: str = ""
    #: dependent scopes asked for with a client-credentials grant (a client consents by asking)
    dependencies: frozenset[str] = frozenset()
    #: True for a person's token (Native App login), whose consents live with the person
    user: bool = False
    #: what the login session that issued it showed: "domain:D", "identity:I", "policy:P",
    #: "mfa" (a login that asked for them with prompt=login; see ``session_satisfied``)
    session: frozenset[str] = frozenset()
    issued_at: float = field(default_factory=time.time)


@dataclass
class Collection:
    id: str
    root: Path
    display_name: str
    entity_type: str = GUEST
    high_assurance: bool = False
    https_enabled: bool = True
    server: TLSServer | None = None
    #: username -> path prefixes the identity may write below
    acl: dict[str, list[str]] = field(default_factory=dict)
    #: identities whose Transfer operations are refused while their HTTPS access works
    transfer_denied: set[str] = field(default_factory=set)
    public_host: str = "localhost"
    #: an HTTPS server of its own (e.g. nginx) serving ``root``, instead of the stand-in's
    external_https: str | None = None
    #: a rename onto an existing name is undocumented, so each plausible answer: "replaces"
    #: (POSIX rename), or a refusal: "exists" (502 ``ExternalError.RenameFailed.Exists``),
    #: "failed" (502 ``ExternalError.RenameFailed``), "conflict" (409 ``Conflict``)
    rename_onto_existing: str = "replaces"
    mkdir_makes_parents: bool = False
    #: the answer to a PUT into a missing folder or onto a folder: undocumented, so tests try
    #: every plausible one (WebDAV's 409, 404, 405, 403, 500)
    missing_folder_status: int = 409
    #: whether a GET honours ``Range`` (observed on GCS; a server or proxy may send the whole
    #: file instead, as HTTP allows)
    honours_range: bool = True
    #: whether a HEAD answer carries these headers (GCS's are undocumented)
    head_content_length: bool = True
    head_last_modified: bool = True
    #: a session policy (``session_required_single_domain``, ``session_required_mfa``...) that no
    #: token here satisfies: Transfer operations are refused with these authorization
    #: parameters (403, or 502 ``LoginFailed`` with ``session_error_status=502``) and the HTTPS
    #: server answers with its HTML step-up page
    session_policy: dict[str, Any] | None = None
    session_error_status: int = 403
    #: Transfer wants consent given after this moment (POSIX seconds), as when a collection's
    #: requirements changed: older consents and client tokens get ``ConsentRequired``
    consent_since: float | None = None
    #: what Transfer resolves ``/~/`` to (a guest collection's root; a mapped collection's
    #: user's home, such as /home/jdoe); None: its root, but listings say ``absolute_path``
    #: null (as in a recorded answer)
    home: str | None = "/"
    #: Transfer refuses to list a folder of more entries (502 ``...DirListingFailed.SizeLimit``,
    #: observed at 100,000); small in tests
    listing_limit: int = 100_000
    #: what ``ls`` answers say of renames: false where storage copies instead (object stores)
    rename_supported: bool = True
    #: where a ConsentRequired answer names the scopes: "both" (observed), "top" or
    #: "parameters" (``authorization_parameters.required_scopes`` alone)
    consent_scopes_at: str = "both"
    #: a collection that lies in its listings (misconfigured or compromised): entries added
    #: to a folder's listing by folder path, sizes claimed by file path, and a folder that
    #: contains itself (every listing holds ``loop/``, which is the folder again)
    planted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    listed_sizes: dict[str, int] = field(default_factory=dict)
    self_containing: bool = False

    @property
    def needs_data_access(self) -> bool:
        """Mapped collections that are not high assurance want ``data_access`` consent."""
        return self.entity_type == MAPPED and not self.high_assurance

    @property
    def is_endpoint(self) -> bool:
        """An endpoint (the server itself) is not a collection: nothing can be stored there."""
        return self.entity_type == ENDPOINT

    @property
    def https_server(self) -> str | None:
        if not self.https_enabled or self.is_endpoint:
            return None
        if self.external_https:
            return self.external_https
        if self.server is None:
            return None
        return f"https://{self.public_host}:{self.server.port}"

    def absolute(self, transfer_path: str) -> str:
        """Transfer resolves ``/~/`` to the home folder (observed: ``ls`` of "/~/" answers
        ``absolute_path`` "/home/..."); the HTTPS server does not."""
        if transfer_path == "/~" or transfer_path.startswith("/~/"):
            return (self.home or "/").rstrip("/") + transfer_path[2:] or "/"
        return transfer_path

    def fs_path(self, collection_path: str) -> Path:
        parts = [p for p in collection_path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise ValueError("path escapes the collection")
        if parts[:1] == ["~"]:  # only Transfer resolves it (the facts file, 3c): refused here
            raise ValueError("not an absolute path: /~/ is Transfer's")
        return self.root.joinpath(*parts)

    def tree(self) -> dict[str, bytes]:
        """Every stored file by collection path, for checking what arrived."""
        return {
            "/" + p.relative_to(self.root).as_posix(): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        }

    def allows(self, username: str, collection_path: str) -> bool:
        path = "/" + "/".join(p for p in collection_path.split("/") if p)
        for prefix in self.acl.get(username, []):
            prefix = "/" + "/".join(p for p in prefix.split("/") if p)
            if prefix == "/" or path == prefix or path.startswith(prefix + "/"):
                return True
        return False


@dataclass
class Fault:
    """A scripted misbehaviour applied to matching requests.

    kind: ``status`` (answer ``status`` after reading the body, optional ``retry_after``, and
    ``location`` for a redirect: observed GCS sends one to Globus Auth's login page),
    ``reset`` (read ``after_bytes`` of the body, then RST; on a GET: send ``after_bytes`` of
    the file, then RST), ``truncate`` on a GET (send ``after_bytes``, then close: the promised
    length never comes), ``html`` (200 with a step-up page,
    nothing stored), ``endpoint_error`` (404 with a GCS Manager Internal Error body: ``body`` picks
    its shape, which is unrecorded: ``json`` code and message, ``code`` JSON naming only
    ``ENDPOINT_ERROR``, ``text`` the message as plain text),
    ``delay`` (store the file, then wait ``seconds`` before answering), ``slow`` (read the
    body at ``rate`` bytes per second), ``stall`` (stop reading the body for ``seconds`` after
    ``after_bytes``: tape or object storage flushing; undocumented how long), ``truncate``
    (store only ``after_bytes``, answer 200),
    ``expire`` (every current token stops working, then the request proceeds normally),
    ``consent`` (Transfer wants consent given from now on: see ``Collection.consent_since``),
    ``echo`` (answer ``status`` with the caller's token in the reason phrase, a header and the
    body: a misconfigured or compromised server; see ``pages.fault_answer``).
    """

    kind: str
    route: str = "data.PUT"  #: glob over route names such as ``data.PUT`` or ``transfer.mkdir``
    path: str = "*"  #: glob over the decoded collection path
    times: int = 1  #: how many matching requests it hits (ignored with ``probability``)
    probability: float | None = None  #: hit this share of matching requests, forever
    status: int = 503
    retry_after: int | None = None
    location: str | None = None
    after_bytes: int = 0
    seconds: float = 0.0
    rate: int = 0
    body: str = "json"
    hits: int = 0


def data_token_fits(token: Token, collection: Collection) -> bool:
    """A collection's HTTPS server takes tokens for itself, with ``https`` and, where the
    collection wants it, ``data_access``."""
    wanted = {https_scope(collection.id)}
    if collection.needs_data_access:
        wanted.add(data_access_scope(collection.id))
    return token.resource_server == collection.id and wanted <= set(token.scopes)


def host(name: str) -> str:
    """A host for a URL: IPv6 addresses need brackets."""
    return f"[{name}]" if ":" in name else name


def client_username(client_id: str) -> str:
    """The identity a confidential client acts as; ACLs name it."""
    return f"{client_id}@clients.auth.globus.org"


def auth_error(status: int, error: str, detail: str) -> tuple[int, dict[str, Any]]:
    """Globus Auth's error shape: an ``errors`` list, and the OAuth2 ``error`` fields."""
    return status, {
        "errors": [
            {
                "status": str(status),
                "id": str(uuid.uuid4()),
                "code": error.upper(),
                "detail": detail,
                "title": error.replace("_", " ").capitalize(),
            }
        ],
        "error": error,
        "error_description": detail,
    }


def endpoint_document(collection: Collection) -> dict[str, Any]:
    return {
        "DATA_TYPE": "endpoint",
        "id": collection.id,
        "display_name": collection.display_name,
        "entity_type": collection.entity_type,
        "gcs_version": "5.4.80",
        "high_assurance": collection.high_assurance,
        "https_server": collection.https_server,
        "non_functional": collection.is_endpoint,
        "activated": True,
        "public": False,
        "owner_string": "standin@globusid.org",
        "subscription_id": None,
    }


def file_entry(path: Path) -> dict[str, Any]:
    """A listing entry; a link to nothing is listed as ``invalid_symlink`` (observed)."""
    try:
        info, kind = path.stat(), "dir" if path.is_dir() else "file"
    except FileNotFoundError:
        info, kind = path.lstat(), "invalid_symlink"
    modified = datetime.datetime.fromtimestamp(int(info.st_mtime), datetime.timezone.utc)
    return {
        "DATA_TYPE": "file",
        "name": path.name,
        "type": kind,
        "size": info.st_size,
        "last_modified": modified.strftime("%Y-%m-%d %H:%M:%S+00:00"),
        "permissions": f"{stat.S_IMODE(info.st_mode):04o}",
        "user": "standin",
        "group": "standin",
        "link_target": os.readlink(path) if path.is_symlink() else None,
    }
