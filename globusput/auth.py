"""Tokens for one run: Transfer (endpoint document, mkdir, ls, rename) and the collection's
HTTPS server (the data), asked for with the scopes the collection's type needs.

What a collection needs is only known from its endpoint document, which takes a Transfer token
to read. So a run first gets a Transfer token (with a confidential client, the guest
collection's ``https`` scope in the same grant: the common case costs one Auth request), reads
the document, then asks for exactly the collection's scopes: a mapped collection that is not
high assurance wants ``data_access`` beside ``https``, and Transfer needs it as a dependency;
asking for it anywhere else fails.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import globus_sdk
from globus_sdk.scopes import GCSCollectionScopes, TransferScopes
from globus_sdk.transport import RequestsTransport

from globusput.errors import (
    AuthError,
    ConfigError,
    ServiceError,
    UnknownScope,
    consent_error,
    login_again,
    session_error,
)
from globusput.session import LoggedSession

if TYPE_CHECKING:
    from globusput.pacing import TransferPacing
    from globusput.remote import CollectionInfo
    from globusput.settings import Settings

TRANSFER_RESOURCE_SERVER = "transfer.api.globus.org"


def client_identity(client_id: uuid.UUID | str) -> str:
    """The identity a confidential client acts as; collection ACLs must name it."""
    return f"{client_id}@clients.auth.globus.org"


def collection_scopes(collection_id: str, data_access: bool) -> list[str]:
    """The scopes of the collection's own token: ``https``, and ``data_access`` where needed."""
    scopes = GCSCollectionScopes(collection_id)
    wanted = [scopes.https, scopes.data_access] if data_access else [scopes.https]
    return [str(s) for s in wanted]


def transfer_scope(collection_id: str, data_access: bool) -> str:
    """Transfer's scope, with the collection's ``data_access`` as an (optional) dependency
    where Transfer needs it to act on the collection: as globus-sdk writes it."""
    if not data_access:
        return str(TransferScopes.all)
    dependency = GCSCollectionScopes(collection_id).data_access.with_optional(True)
    return str(TransferScopes.all.with_dependency(dependency))


def first_scopes(collection_id: str) -> list[str]:
    """A client's first grant: Transfer, and the collection's ``https`` as a guest collection
    wants it; the endpoint document it reads then says whether more is needed."""
    return [transfer_scope(collection_id, False), *collection_scopes(collection_id, False)]


def auth_client(
    client_id: str, secret: str, log: Callable[[str], None]
) -> globus_sdk.ConfidentialAppAuthClient:
    """A confidential client's Auth client, its requests in the ``-v`` log."""
    transport = RequestsTransport()
    transport.session.close()
    transport.session = LoggedSession(log, "Auth")
    return globus_sdk.ConfidentialAppAuthClient(client_id, secret, transport=transport)


def collection_requirements(collection_id: str, data_access: bool) -> dict[str, list[str]]:
    """Every scope a run on the collection needs, by resource server (a person's login)."""
    return {
        TRANSFER_RESOURCE_SERVER: [transfer_scope(collection_id, data_access)],
        collection_id: collection_scopes(collection_id, data_access),
    }


class DataAuthorizer:
    """Thread-safe bearer header for the data PUTs, renewable after a refusal.

    The SDK's renewing authorizers are not written for several threads at once; a lock keeps
    one renewal per expiry instead of one per worker. ``source`` is asked each time, so a
    login that adds consent mid-run is used at once.
    """

    def __init__(self, source: Callable[[], globus_sdk.authorizers.GlobusAuthorizer]) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._generation = 0
        #: an expired token may be answered 403 as well as 401 (undocumented): the first 403
        #: of a run renews the token once; later ones are taken as refusals
        self._renew_on_403 = True

    def header(self) -> tuple[str, int]:
        """The Authorization header value and the generation it belongs to."""
        with self._lock:
            try:
                value = self._source().get_authorization_header()
            except globus_sdk.AuthAPIError as exc:
                raise login_again(exc, "the collection") from None
            if value is None:
                raise AuthError("no access token for the collection: log in again")
            return value, self._generation

    def renew(self, generation: int, status: int = 401) -> bool:
        """Renew after a 401 (or the run's first 403), once per token generation; False when
        renewal is impossible or not worth it."""
        with self._lock:
            if generation != self._generation:
                return True  # another worker renewed already
            if status == 403:
                if not self._renew_on_403:
                    return False
                self._renew_on_403 = False
            try:
                renewed = self._source().handle_missing_authorization()
            except globus_sdk.AuthAPIError as exc:
                raise login_again(exc, "the collection") from None
            except globus_sdk.NetworkError as exc:
                raise ServiceError(f"renewing the collection token failed: {exc}") from None
            if renewed:
                self._generation += 1
            return renewed


class Credentials(Protocol):
    """How a run gets its tokens: a confidential client, or a person's login."""

    identity: str  #: who the collection sees, for permission messages

    def transfer_client(self, pacing: TransferPacing) -> globus_sdk.TransferClient:
        """A Transfer client that can read the collection's endpoint document."""

    def for_collection(self, info: CollectionInfo) -> DataAuthorizer:
        """Ask for exactly the scopes ``info``'s type needs; the data token comes back."""

    def consent(self, required_scopes: list[str]) -> None:
        """Transfer answered ConsentRequired: get these scopes or raise saying how to."""

    def session(self, params: Any) -> None:
        """Transfer answered with a session policy (authorization parameters): log in to meet
        it, or raise saying what must change."""


class FirstGrant(Protocol):
    """A run's first grant, already asked for (:class:`globusput.early.EarlyGrant`)."""

    client: globus_sdk.ConfidentialAppAuthClient
    scopes: list[str]

    def response(self, log: Callable[[str], None]) -> globus_sdk.OAuthClientCredentialsResponse:
        """Its answer, or the exception its request raised; later requests go to ``log``."""


class ClientCredentials:
    """A confidential client: client-credentials grants, consent implied by asking.

    ``secret`` is told every token as it arrives, so the log can never show one."""

    def __init__(
        self,
        settings: Settings,
        secret: Callable[[str], None],
        log: Callable[[str], None],
        early: FirstGrant | None = None,
    ) -> None:
        assert settings.client_id is not None and settings.client_secret is not None
        assert settings.collection_id is not None
        self.settings = settings
        self.collection = str(settings.collection_id)
        self.identity = client_identity(settings.client_id)
        self._log = log
        self._early = early
        self._client = (
            early.client
            if early is not None
            else auth_client(
                str(settings.client_id), settings.client_secret.get_secret_value(), log
            )
        )
        self._secret = secret
        self._data: globus_sdk.ClientCredentialsAuthorizer | None = None
        self._transfer: globus_sdk.TransferClient | None = None

    def transfer_client(self, pacing: TransferPacing) -> globus_sdk.TransferClient:
        guest = first_scopes(self.collection)
        try:
            authorizers = self._grant(guest)
        except UnknownScope:
            # an endpoint's id, or a collection without HTTPS: the document will say which
            authorizers = self._grant(guest[:1])
        self._data = authorizers.get(self.collection)
        self._transfer = pacing.client(authorizer=authorizers[TRANSFER_RESOURCE_SERVER])
        return self._transfer

    def for_collection(self, info: CollectionInfo) -> DataAuthorizer:
        assert self._transfer is not None
        if self._data is None:
            raise ConfigError(
                f"Globus Auth does not know the HTTPS scope of collection {self.collection}: "
                "check GLOBUS_COLLECTION_ID (the collection's UUID, not its endpoint's)"
            )
        if info.needs_data_access:
            # a mapped collection: Transfer and the HTTPS server both want data_access
            authorizers = self._grant(
                [
                    transfer_scope(self.collection, True),
                    *collection_scopes(self.collection, True),
                ]
            )
            self._transfer.authorizer = authorizers[TRANSFER_RESOURCE_SERVER]
            self._data = authorizers[self.collection]
        data = self._data
        return DataAuthorizer(lambda: data)

    def session(self, params: Any) -> None:
        """A client has no login session: only the collection's side can change."""
        raise session_error(params, self.collection, self.identity)

    def consent(self, required_scopes: list[str]) -> None:
        assert self._transfer is not None
        try:
            authorizers = self._grant(required_scopes)
        except UnknownScope:
            raise consent_error(self.collection, required_scopes, self.identity) from None
        self._transfer.authorizer = authorizers[TRANSFER_RESOURCE_SERVER]

    def _grant(self, scopes: list[str]) -> dict[str, globus_sdk.ClientCredentialsAuthorizer]:
        """One client-credentials request; a renewing authorizer per resource server."""
        early, self._early = self._early, None
        try:
            if early is not None and early.scopes == scopes:
                response = early.response(self._log)
            else:
                response = self._client.oauth2_client_credentials_tokens(scopes)
        except globus_sdk.AuthAPIError as exc:
            raise self._auth_error(exc) from None
        except globus_sdk.NetworkError as exc:
            raise ServiceError(f"cannot reach Globus Auth: {_reason(exc)}") from None
        by_rs: dict[str, list[str]] = {}
        for scope in scopes:
            rs = self.collection if scope.startswith("https://auth.globus.org/scopes/") else None
            by_rs.setdefault(rs or TRANSFER_RESOURCE_SERVER, []).append(scope)
        tokens = response.by_resource_server
        if set(by_rs) - set(tokens):
            raise AuthError(
                "Globus Auth did not return tokens for both the collection and Transfer; "
                "check that the collection id is right"
            )
        for token in tokens.values():
            self._secret(token["access_token"])
        return {
            rs: globus_sdk.ClientCredentialsAuthorizer(
                self._client,
                " ".join(rs_scopes),
                access_token=tokens[rs]["access_token"],
                expires_at=tokens[rs]["expires_at_seconds"],
            )
            for rs, rs_scopes in by_rs.items()
        }

    def _auth_error(self, exc: globus_sdk.AuthAPIError) -> Exception:
        text = f"{exc.code} {exc.message} {exc.text}".lower()
        if exc.http_status == 401 or "invalid_client" in text:
            return AuthError(
                f"Globus Auth rejected client {self.settings.client_id}: check GLOBUS_CLIENT_ID "
                "and GLOBUS_CLIENT_SECRET (or the -c client config file)"
            )
        if "scope" in text:
            return UnknownScope(exc.text[:200])
        return AuthError(
            f"Globus Auth refused the token request ({exc.http_status}): {exc.text[:200]}"
        )


def _reason(exc: BaseException) -> str:
    """A short cause for a network error, without URLs that could carry secrets."""
    inner = exc.__cause__ or exc
    return type(inner).__name__ + (f": {inner}" if "://" not in str(inner) else "")
