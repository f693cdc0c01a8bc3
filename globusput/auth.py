"""Tokens for one run: Transfer (endpoint document, mkdir, stat, rename) and the collection's
HTTPS scope (the data). One grant fetches both; renewals happen per resource server."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from globusput.errors import AuthError, ConfigError, ServiceError

if TYPE_CHECKING:
    import globus_sdk

    from globusput.settings import Settings

TRANSFER_RESOURCE_SERVER = "transfer.api.globus.org"


def https_scope(collection_id: uuid.UUID) -> str:
    return f"https://auth.globus.org/scopes/{collection_id}/https"


def client_identity(client_id: uuid.UUID | str) -> str:
    """The identity a confidential client acts as; collection ACLs must name it."""
    return f"{client_id}@clients.auth.globus.org"


class DataAuthorizer:
    """Thread-safe bearer header for the data PUTs, renewable after a 401.

    The SDK's renewing authorizers are not written for several threads at once; a lock keeps
    one renewal per expiry instead of one per worker.
    """

    def __init__(self, authorizer: globus_sdk.authorizers.GlobusAuthorizer) -> None:
        self._authorizer = authorizer
        self._lock = threading.Lock()
        self._generation = 0

    def header(self) -> tuple[str, int]:
        """The Authorization header value and the generation it belongs to."""
        with self._lock:
            value = self._authorizer.get_authorization_header()
            if value is None:
                raise AuthError("no access token for the collection: log in again")
            return value, self._generation

    def renew(self, generation: int) -> bool:
        """Renew after a 401, once per token generation; False when renewal is impossible."""
        with self._lock:
            if generation != self._generation:
                return True  # another worker renewed already
            try:
                renewed = self._authorizer.handle_missing_authorization()
            except Exception as exc:  # the SDK raises AuthAPIError and NetworkError subclasses
                raise AuthError(f"renewing the collection token failed: {exc}") from None
            if renewed:
                self._generation += 1
            return renewed


@dataclass
class Authorizers:
    transfer: globus_sdk.authorizers.GlobusAuthorizer
    data: DataAuthorizer
    identity: str  #: who the collection sees, for permission messages
    tokens: list[str]  #: every token value, so reporting can mask them


def confidential_client_authorizers(settings: Settings) -> Authorizers:
    """Client-credentials grant for both scopes in one request to Globus Auth."""
    import globus_sdk

    assert settings.client_id is not None and settings.client_secret is not None
    assert settings.collection_id is not None
    data_scope = https_scope(settings.collection_id)
    transfer_scope = str(globus_sdk.TransferClient.scopes.all)
    client = globus_sdk.ConfidentialAppAuthClient(
        str(settings.client_id), settings.client_secret.get_secret_value()
    )
    try:
        response = client.oauth2_client_credentials_tokens([data_scope, transfer_scope])
    except globus_sdk.AuthAPIError as exc:
        raise _auth_error(exc, settings) from None
    except globus_sdk.NetworkError as exc:
        raise ServiceError(f"cannot reach Globus Auth: {_reason(exc)}") from None
    tokens = response.by_resource_server
    collection_rs = str(settings.collection_id)
    if collection_rs not in tokens or TRANSFER_RESOURCE_SERVER not in tokens:
        raise AuthError(
            "Globus Auth did not return tokens for both the collection and Transfer; "
            "check that the collection id is right"
        )

    def renewing(resource_server: str, scope: str) -> globus_sdk.ClientCredentialsAuthorizer:
        data = tokens[resource_server]
        return globus_sdk.ClientCredentialsAuthorizer(
            client,
            scope,
            access_token=data["access_token"],
            expires_at=data["expires_at_seconds"],
        )

    return Authorizers(
        transfer=renewing(TRANSFER_RESOURCE_SERVER, transfer_scope),
        data=DataAuthorizer(renewing(collection_rs, data_scope)),
        identity=client_identity(settings.client_id),
        tokens=[t["access_token"] for t in tokens.values()],
    )


def _auth_error(exc: globus_sdk.AuthAPIError, settings: Settings) -> Exception:
    text = f"{exc.code} {exc.message} {exc.text}".lower()
    if exc.http_status == 401 or "invalid_client" in text:
        return AuthError(
            f"Globus Auth rejected client {settings.client_id}: check GLOBUS_CLIENT_ID and "
            "GLOBUS_CLIENT_SECRET (or the -c client config file)"
        )
    if "scope" in text:
        return ConfigError(
            f"Globus Auth does not know the HTTPS scope of collection {settings.collection_id}: "
            "check GLOBUS_COLLECTION_ID (the collection's UUID, not its endpoint's)"
        )
    return AuthError(f"Globus Auth refused the token request ({exc.http_status}): {exc.text[:200]}")


def _reason(exc: BaseException) -> str:
    """A short cause for a network error, without URLs that could carry secrets."""
    inner = exc.__cause__ or exc
    return type(inner).__name__ + (f": {inner}" if "://" not in str(inner) else "")
