"""The stand-in's state, shared by its services: clients, collections, tokens, consents,
faults, distance and the request log that tests read.

The services (:mod:`~globusput.testing.services`, :mod:`~globusput.testing.data`,
:mod:`~globusput.testing.userauth`) read and change it; :class:`~globusput.testing.standin.StandIn`
adds the servers around it.
"""

from __future__ import annotations

import collections
import fnmatch
import random
import secrets
import threading
import time
import uuid
from typing import Any, Protocol

from globus_sdk.scopes import Scope

from globusput.testing.distance import RateLimit
from globusput.testing.model import (
    TRANSFER_RS,
    TRANSFER_SCOPE,
    Collection,
    Fault,
    Token,
    data_access_scope,
    https_scope,
)
from globusput.testing.tasks import TASK_RATE, Task


class Consents(Protocol):
    """A person's consents, as Globus Auth keeps them (see :mod:`~globusput.testing.userauth`)."""

    def has_consent(self, client_id: str, scope: str, parent: str | None, since: float) -> bool: ...


class State:
    """Everything the services know; every change under :attr:`lock`."""

    users: Consents

    def __init__(self, seed: int | None = None) -> None:
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
        #: Transfer tasks by id, and the task each submission id made
        self.tasks: dict[str, Task] = {}
        self.submissions: dict[str, str] = {}
        #: bytes a second a task moves (an assumption: see :mod:`~globusput.testing.tasks`)
        self.task_rate = TASK_RATE

    @property
    def url(self) -> str:
        """Where Auth and Transfer answer (the issuer of id_tokens)."""
        raise NotImplementedError

    def add_client(
        self, client_id: str | None = None, secret: str | None = None
    ) -> tuple[str, str]:
        client_id = client_id or str(uuid.uuid4())
        secret = secret or secrets.token_urlsafe(24)
        with self.lock:
            self.clients[client_id] = secret
        return client_id, secret

    def forget(self) -> None:
        """Forget tokens, faults, counters and the distance model."""
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
            for task in self.tasks.values():
                task.cancelled.set()
            self.tasks.clear()
            self.submissions.clear()
            self.task_rate = TASK_RATE

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
        session: frozenset[str] = frozenset(),
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
            session=session,
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
        retry_after: bool = True,
    ) -> None:
        """Make the services answer as slowly as real Globus would, and limit Transfer's rate
        (one limit for every run using this stand-in, as Globus meters a client's jobs)."""
        with self.lock:
            self.latency = dict(latency or {})
            self.transfer_limit = (
                RateLimit(*transfer_rate, retry_after=retry_after) if transfer_rate else None
            )

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

    # -- scopes ----------------------------------------------------------------------------
    def resource_server_of(self, scope: str) -> str | None:
        """The resource server a scope string belongs to, None for an unknown scope: an endpoint
        has no collection scopes, and only mapped collections short of high assurance have
        ``data_access``."""
        if scope == TRANSFER_SCOPE:
            return TRANSFER_RS
        for collection in self.collections.values():
            if collection.https_server is None:
                continue  # an endpoint, or a collection without HTTPS: no such scopes
            if scope == https_scope(collection.id):
                return collection.id
            if scope == data_access_scope(collection.id) and collection.needs_data_access:
                return collection.id
        return None

    def scope_resource_server(self, scope: Scope) -> str | None:
        """Like :func:`resource_server_of` for a parsed scope; every dependency must be known."""
        rs = self.resource_server_of(scope.scope_string)
        for dependency in scope.dependencies:
            if self.resource_server_of(dependency.scope_string) is None:
                return None
        return rs
