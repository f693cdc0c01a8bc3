"""The local Globus stand-in: Auth and Transfer on one port, one HTTPS data server per
collection, around the shared :class:`~globusput.testing.state.State`.

Tests and rehearsals script the awkward parts of the real services here (transient faults,
step-up pages, expiring tokens) and read per-route request counters to prove what was sent.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import uuid
from pathlib import Path
from typing import Any

from globusput.testing.certs import make_tls_files
from globusput.testing.data import DataHandler
from globusput.testing.distance import GLOBUS_LIKE_LATENCY, RateLimit, parse_latency, parse_rate
from globusput.testing.model import (
    AUTH_RS,
    DEMO_CLIENT_ID,
    DEMO_COLLECTION_ID,
    DEMO_NATIVE_CLIENT_ID,
    DEMO_USERNAME,
    ENDPOINT,
    GUEST,
    MAPPED,
    TRANSFER_RS,
    TRANSFER_SCOPE,
    Collection,
    Fault,
    Token,
    client_username,
    data_access_scope,
    data_token_fits,
    host,
    https_scope,
)
from globusput.testing.services import ServicesHandler
from globusput.testing.state import State
from globusput.testing.tlsserver import TLSServer
from globusput.testing.userauth import UserAuth

__all__ = [
    "AUTH_RS",
    "DEMO_CLIENT_ID",
    "DEMO_COLLECTION_ID",
    "DEMO_NATIVE_CLIENT_ID",
    "DEMO_USERNAME",
    "ENDPOINT",
    "GLOBUS_LIKE_LATENCY",
    "GUEST",
    "MAPPED",
    "TRANSFER_RS",
    "TRANSFER_SCOPE",
    "Collection",
    "Fault",
    "RateLimit",
    "StandIn",
    "Token",
    "client_username",
    "data_access_scope",
    "data_token_fits",
    "https_scope",
    "parse_latency",
    "parse_rate",
]


class StandIn(State):
    """Globus Auth + Transfer on one port, and one HTTPS data server per collection."""

    users: UserAuth

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
        super().__init__(seed)
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="globus-standin-"))
        self.bind = bind
        self.advertise = advertise
        extra = [advertise] if advertise else []
        self.ca_path, cert, key = make_tls_files(self.workdir / "tls", extra)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.services = TLSServer(port, ServicesHandler, self.context, bind)
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
        return f"https://{host(self.advertise or '127.0.0.1')}:{self.services.port}/"

    def environment(self) -> dict[str, str]:
        """What a client needs to talk to the stand-in instead of Globus."""
        return {
            "GLOBUS_SDK_SERVICE_URL_AUTH": self.url,
            "GLOBUS_SDK_SERVICE_URL_TRANSFER": self.url,
            "GLOBUS_SDK_VERIFY_SSL": str(self.ca_path),
        }

    # -- set-up ----------------------------------------------------------------------------
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
        https_port: int = 0,
        **options: Any,
    ) -> Collection:
        """Create a collection backed by a folder; ``grant`` lists client ids (or usernames)
        given write access on /; its HTTPS server listens on ``https_port`` (0: any). With
        ``external_https`` another server (nginx in the benchmark) serves ``root`` and asks
        ``/_standin/check/<id>`` about each token."""
        collection_id = collection_id or str(uuid.uuid4())
        root = root or self.workdir / "collections" / collection_id
        root.mkdir(parents=True, exist_ok=True)
        collection = Collection(collection_id, root, display_name, **options)
        if not collection.external_https:
            collection.server = TLSServer(https_port, DataHandler, self.context, self.bind)
            collection.public_host = host(self.advertise or "localhost")
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
            self.forget()
            self.users.codes.clear()
            self.users.requested.clear()
            self.users.refresh.clear()
            self.users.browser_session = frozenset()
            self.users.user.consents.clear()
            for collection in self.collections.values():
                shutil.rmtree(collection.root, ignore_errors=True)
                collection.root.mkdir(parents=True)

    def end_refresh_tokens(self) -> None:
        """Every refresh token dies, as after months unused or revoked consent."""
        with self.lock:
            self.users.refresh.clear()
