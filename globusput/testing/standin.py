"""State and control of the local Globus stand-in: clients, collections, tokens, faults.

Tests and rehearsals script the awkward parts of the real services here (transient faults,
step-up pages, expiring tokens) and read per-route request counters to prove what was sent.
"""

from __future__ import annotations

import collections
import fnmatch
import random
import re
import secrets
import shutil
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from globusput.testing.certs import make_tls_files
from globusput.testing.tlsserver import TLSServer

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

#: Collection types as Transfer names them (``entity_type``).
GUEST = "GCSv5_guest_collection"
MAPPED = "GCSv5_mapped_collection"
ENDPOINT = "GCSv5_endpoint"


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

    def fs_path(self, collection_path: str) -> Path:
        parts = [p for p in collection_path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise ValueError("path escapes the collection")
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


#: The facts file's estimates of how far Globus is from a CI runner, in seconds per request.
GLOBUS_LIKE_LATENCY = {"auth": 0.15, "transfer": 0.25, "op": 0.6, "data": 0.03}
LATENCY_KINDS = ("auth", "transfer", "op", "data")


def parse_latency(text: str) -> dict[str, float]:
    """``auth=0.15,transfer=0.25,op=0.6,data=0.03`` (any subset), or ``globus`` (estimates)."""
    if text.strip() == "globus":
        return dict(GLOBUS_LIKE_LATENCY)
    latency: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, value = part.partition("=")
        if not sep or kind.strip() not in LATENCY_KINDS:
            raise ValueError(f"{part!r}: expected KIND=SECONDS with KIND one of {LATENCY_KINDS}")
        seconds = float(value)
        if not 0 <= seconds <= 60:
            raise ValueError(f"{part!r}: seconds must be between 0 and 60")
        latency[kind.strip()] = seconds
    return latency


def parse_rate(text: str) -> tuple[int, float]:
    """``20/10s`` -> (20, 10.0): at most 20 requests in each 10-second window."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*s\s*", text)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"{text!r}: expected COUNT/SECONDSs, e.g. 20/10s")
    return int(match.group(1)), float(match.group(2) or 1)


class RateLimit:
    """Fixed metering windows, as Globus reportedly meters Transfer: over the limit, 429."""

    def __init__(self, count: int, window: float) -> None:
        self.count, self.window = count, window
        self._lock = threading.Lock()
        self._window_start = 0.0
        self._used = 0

    def admit(self) -> float:
        """0 when the request may proceed, else the seconds until the window ends."""
        now = time.monotonic()
        with self._lock:
            start = now - now % self.window
            if start != self._window_start:
                self._window_start, self._used = start, 0
            self._used += 1  # refused requests count too
            if self._used <= self.count:
                return 0.0
            return start + self.window - now


@dataclass
class Fault:
    """A scripted misbehaviour applied to matching requests.

    kind: ``status`` (answer ``status`` after reading the body, optional ``retry_after``),
    ``reset`` (read ``after_bytes`` of the body, then RST; on a GET: send ``after_bytes`` of
    the file, then RST), ``truncate`` on a GET (send ``after_bytes``, then close: the promised
    length never comes), ``html`` (200 with a step-up page,
    nothing stored), ``endpoint_error`` (404 with a GCS Manager Internal Error body: ``body`` picks
    its shape, which is unrecorded: ``json`` code and message, ``code`` JSON naming only
    ``ENDPOINT_ERROR``, ``text`` the message as plain text),
    ``delay`` (store the file, then wait ``seconds`` before answering), ``slow`` (read the
    body at ``rate`` bytes per second), ``truncate`` (store only ``after_bytes``, answer 200),
    ``expire`` (every current token stops working, then the request proceeds normally),
    ``consent`` (Transfer wants consent given from now on: see ``Collection.consent_since``).
    """

    kind: str
    route: str = "data.PUT"  #: glob over route names such as ``data.PUT`` or ``transfer.mkdir``
    path: str = "*"  #: glob over the decoded collection path
    times: int = 1  #: how many matching requests it hits (ignored with ``probability``)
    probability: float | None = None  #: hit this share of matching requests, forever
    status: int = 503
    retry_after: int | None = None
    after_bytes: int = 0
    seconds: float = 0.0
    rate: int = 0
    body: str = "json"
    hits: int = 0


class StandIn:
    """Globus Auth + Transfer on one port, and one HTTPS data server per collection."""

    def __init__(
        self,
        workdir: Path | None = None,
        port: int = 0,
        seed: int | None = None,
        bind: str = "127.0.0.1",
        advertise: str | None = None,
    ) -> None:
        """``bind`` is the listening address; ``advertise`` the host name or address clients
        (for example containers) reach it by, written into URLs and the certificate."""
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="globus-standin-"))
        self.bind = bind
        self.advertise = advertise
        extra = [advertise] if advertise else []
        self.ca_path, cert, key = make_tls_files(self.workdir / "tls", extra)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.lock = threading.RLock()
        self.random = random.Random(seed)
        self.clients: dict[str, str] = {}
        self.collections: dict[str, Collection] = {}
        self.tokens: dict[str, Token] = {}
        #: every token and refresh token issued since the last reset, revoked ones included:
        #: what a test scans output for
        self.issued: list[str] = []
        self.faults: list[Fault] = []
        self.counts: collections.Counter[str] = collections.Counter()
        self.log: list[dict[str, Any]] = []
        self.token_lifetime = 172800
        #: the data server's answer to an expired token: 401 or 403 (undocumented)
        self.expired_token_status = 401
        #: seconds each request of a kind waits before it is answered (see GLOBUS_LIKE_LATENCY)
        self.latency: dict[str, float] = {}
        #: Transfer's rate limit, None for none; requests beyond it are answered 429
        self.transfer_limit: RateLimit | None = None
        from globusput.testing.services import ServicesHandler

        self.services = TLSServer(port, ServicesHandler, self.context, bind)
        from globusput.testing.userauth import UserAuth

        self.users = UserAuth(self)
        self.services.standin = self  # type: ignore[attr-defined]

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> StandIn:
        self.services.start()
        return self

    def stop(self) -> None:
        for server in [self.services, *(c.server for c in self.collections.values() if c.server)]:
            server.shutdown()
            server.server_close()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"https://{_host(self.advertise or '127.0.0.1')}:{self.services.port}/"

    def environment(self) -> dict[str, str]:
        """What a client needs to talk to the stand-in instead of Globus."""
        return {
            "GLOBUS_SDK_SERVICE_URL_AUTH": self.url,
            "GLOBUS_SDK_SERVICE_URL_TRANSFER": self.url,
            "GLOBUS_SDK_VERIFY_SSL": str(self.ca_path),
        }

    # -- set-up ----------------------------------------------------------------------------
    def add_client(
        self, client_id: str | None = None, secret: str | None = None
    ) -> tuple[str, str]:
        client_id = client_id or str(uuid.uuid4())
        secret = secret or secrets.token_urlsafe(24)
        with self.lock:
            self.clients[client_id] = secret
        return client_id, secret

    def add_native_client(self, client_id: str) -> str:
        """Register a Native App (public client): it logs users in with PKCE, no secret."""
        with self.lock:
            self.users.native_clients.add(client_id)
        return client_id

    def add_collection(
        self,
        collection_id: str | None = None,
        *,
        grant: list[str] | None = None,
        display_name: str = "stand-in collection",
        root: Path | None = None,
        **options: Any,
    ) -> Collection:
        """Create a collection backed by a folder; ``grant`` lists client ids (or usernames)
        given write access on /. With ``external_https`` another server (nginx in the
        benchmark) serves ``root`` and asks ``/_standin/check/<id>`` about each token."""
        collection_id = collection_id or str(uuid.uuid4())
        root = root or self.workdir / "collections" / collection_id
        root.mkdir(parents=True, exist_ok=True)
        collection = Collection(collection_id, root, display_name, **options)
        if not collection.external_https:
            from globusput.testing.data import DataHandler

            collection.server = TLSServer(0, DataHandler, self.context, self.bind)
            collection.public_host = _host(self.advertise or "localhost")
            collection.server.standin = self  # type: ignore[attr-defined]
            collection.server.collection = collection  # type: ignore[attr-defined]
            collection.server.start()
        for who in grant or []:
            username = who if "@" in who else client_username(who)
            collection.acl.setdefault(username, []).append("/")
        with self.lock:
            self.collections[collection_id] = collection
        return collection

    def reset(self) -> None:
        """Forget tokens, faults, counters and stored files; keep clients and collections."""
        with self.lock:
            self.tokens.clear()
            self.issued.clear()
            self.faults.clear()
            self.counts.clear()
            self.log.clear()
            self.token_lifetime = 172800
            self.expired_token_status = 401
            self.latency = {}
            self.transfer_limit = None
            self.users.codes.clear()
            self.users.requested.clear()
            self.users.refresh.clear()
            self.users.user.consents.clear()
            for collection in self.collections.values():
                shutil.rmtree(collection.root, ignore_errors=True)
                collection.root.mkdir(parents=True)

    # -- tokens ----------------------------------------------------------------------------
    def issue_token(
        self,
        identity_id: str,
        username: str,
        resource_server: str,
        scopes: list[str],
        client_id: str,
        refresh: bool = False,
        dependencies: frozenset[str] = frozenset(),
        user: bool = False,
    ) -> Token:
        token = Token(
            value=secrets.token_urlsafe(32),
            identity_id=identity_id,
            username=username,
            resource_server=resource_server,
            scopes=scopes,
            expires_at=time.time() + self.token_lifetime,
            refresh_token=secrets.token_urlsafe(32) if refresh else None,
            client_id=client_id,
            dependencies=dependencies,
            user=user,
        )
        with self.lock:
            self.tokens[token.value] = token
            self.issued += [v for v in (token.value, token.refresh_token) if v]
        return token

    def valid_token(self, value: str | None) -> Token | None:
        token = self.known_token(value)
        if token is None or token.expires_at <= time.time():
            return None
        return token

    def known_token(self, value: str | None) -> Token | None:
        """A token issued here, expired or not (expired ones get their own answer)."""
        with self.lock:
            return self.tokens.get(value or "")

    def may_access_data(self, token: Token, collection: Collection) -> bool:
        """Transfer acts on a mapped collection only with the ``data_access`` dependency:
        consented by the person (their consents, whatever token asked), or asked for in the
        client's own grant."""
        since = collection.consent_since or 0.0
        if not collection.needs_data_access:
            if token.user:
                return self.users.has_consent(token.client_id, TRANSFER_SCOPE, None, since)
            return token.issued_at >= since
        scope = data_access_scope(collection.id)
        if token.user:
            return self.users.has_consent(token.client_id, scope, TRANSFER_SCOPE, since)
        return scope in token.dependencies and token.issued_at >= since

    def required_consent(self, collection: Collection) -> str:
        """The scope Transfer names in its ``ConsentRequired`` answer for a collection."""
        if collection.needs_data_access:
            return f"{TRANSFER_SCOPE}[*{data_access_scope(collection.id)}]"
        return TRANSFER_SCOPE

    def forget_consents(self) -> None:
        """Transfer wants fresh consent on every collection, as after a policy change."""
        now = time.time()
        with self.lock:
            for collection in self.collections.values():
                collection.consent_since = now

    def end_refresh_tokens(self) -> None:
        """Every refresh token dies, as after months unused or revoked consent."""
        with self.lock:
            self.users.refresh.clear()

    def expire_tokens(self) -> None:
        """Every token issued so far stops working, as if its lifetime ran out early."""
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = 0

    # -- distance --------------------------------------------------------------------------
    def set_distance(
        self,
        latency: dict[str, float] | None = None,
        transfer_rate: tuple[int, float] | None = None,
    ) -> None:
        """Make the services answer as slowly as real Globus would, and limit Transfer's rate."""
        with self.lock:
            self.latency = dict(latency or {})
            self.transfer_limit = RateLimit(*transfer_rate) if transfer_rate else None

    def wait_latency(self, kind: str) -> None:
        seconds = self.latency.get(kind, 0.0)
        if seconds:
            time.sleep(seconds)

    # -- faults and counters ---------------------------------------------------------------
    def add_fault(self, kind: str, **options: Any) -> Fault:
        fault = Fault(kind, **options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, route: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if not fnmatch.fnmatchcase(route, fault.route):
                    continue
                if not fnmatch.fnmatchcase(path, fault.path):
                    continue
                if fault.probability is not None:
                    if self.random.random() >= fault.probability:
                        continue
                elif fault.hits >= fault.times:
                    continue
                fault.hits += 1
                return fault
        return None

    def record(self, route: str, **details: Any) -> None:
        with self.lock:
            self.counts[route] += 1
            self.log.append({"route": route, "at": time.monotonic(), **details})

    def count(self, prefix: str = "") -> int:
        with self.lock:
            return sum(n for route, n in self.counts.items() if route.startswith(prefix))


def data_token_fits(token: Token, collection: Collection) -> bool:
    """A collection's HTTPS server takes tokens for itself, with ``https`` and, where the
    collection wants it, ``data_access``."""
    wanted = {https_scope(collection.id)}
    if collection.needs_data_access:
        wanted.add(data_access_scope(collection.id))
    return token.resource_server == collection.id and wanted <= set(token.scopes)


def _host(name: str) -> str:
    """A host for a URL: IPv6 addresses need brackets."""
    return f"[{name}]" if ":" in name else name


def client_username(client_id: str) -> str:
    """The identity a confidential client acts as; ACLs name it."""
    return f"{client_id}@clients.auth.globus.org"
