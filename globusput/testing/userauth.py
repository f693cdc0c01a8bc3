"""Globus Auth for people: the authorization-code grant with PKCE, as a Native App uses it.

Authorization is approved at once for the stand-in's user (no login page), so tests can drive
the browser and no-browser flows; the rest behaves as globus-sdk's ``UserApp`` expects.

Sources: the authorization-code grant with PKCE and refresh tokens, revocation, userinfo:
Globus Auth API reference (docs.globus.org/api/auth/reference/) and RFC 7636; the code page
``/v2/web/auth-code`` for no-browser logins and OIDC discovery with RS512 keys: globus-sdk
4.10 (``login_flows``, ``services/auth/_id_token``) and auth.globus.org's published
configuration; claims by scope: OpenID Connect Core section 5.4 as Globus applies it
(observed); consents listing ``/v2/api/identities/ID/consents``: globus-sdk's ``get_consents``
and its fixtures. A Native App may send codes only to Globus's code page or a local server.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from globus_sdk.scopes import Scope, ScopeParser

from globusput.testing.model import AUTH_RS, auth_error
from globusput.testing.oidc import CLAIMS_OF_SCOPE, OPENID_SCOPES, Signer
from globusput.testing.people import PendingCode, User, session_shown
from globusput.testing.state import State


class UserAuth:
    """The user-facing half of the stand-in's Auth service."""

    def __init__(self, standin: State) -> None:
        self.standin = standin
        self.signer = Signer()
        self.native_clients: set[str] = set()
        self.user = User("8b5c0a9e-2f3d-4c61-9e0a-1c2b3d4e5f60", "alice@example.org")
        self.browser_session: frozenset[str] = frozenset()  #: see ``_session``
        self.codes: dict[str, PendingCode] = {}
        self.requested: list[str] = []  #: the scope parameter of each authorize request
        #: refresh token -> (client, rs, scopes, what its login session showed)
        self.refresh: dict[str, tuple[str, str, list[str], frozenset[str]]] = {}

    @property
    def issuer(self) -> str:
        return self.standin.url.rstrip("/")

    # -- OIDC discovery --------------------------------------------------------------------
    def openid_configuration(self) -> dict[str, Any]:
        base = self.standin.url
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}v2/oauth2/authorize",
            "token_endpoint": f"{base}v2/oauth2/token",
            "userinfo_endpoint": f"{base}v2/oauth2/userinfo",
            "revocation_endpoint": f"{base}v2/oauth2/token/revoke",
            "jwks_uri": f"{base}jwk.json",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS512"],
            "scopes_supported": ["openid", "email", "profile"],
            "subject_types_supported": ["public"],
        }

    def jwks(self) -> dict[str, Any]:
        return self.signer.jwks()

    # -- authorize and code page -----------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """Approve at once: 302 to the redirect URI with a code, or 400 with the reason."""
        client_id = query.get("client_id", "")
        self.requested.append(query.get("scope", ""))
        if client_id not in self.native_clients:
            return 400, {}, f"unknown client {client_id}"
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return 400, {}, "PKCE with S256 and response_type=code are required"
        if not self._allowed_redirect(query.get("redirect_uri", "")):
            return 400, {}, "redirect_uri is not registered for this client"
        try:
            scopes = ScopeParser.parse(query.get("scope", ""))
        except Exception as exc:
            return 400, {}, f"bad scope: {exc}"
        for scope in scopes:
            if self.resource_server(scope) is None:
                return 400, {}, f"Unknown Scope {scope}"
        code = secrets.token_urlsafe(24)
        self.codes[code] = PendingCode(
            client_id,
            query.get("redirect_uri", ""),
            scopes,
            query.get("code_challenge", ""),
            query.get("access_type") == "offline",
            self._session(query),
        )
        self._record_consents(client_id, scopes)
        separator = "&" if "?" in query.get("redirect_uri", "") else "?"
        params = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return 302, {"Location": query.get("redirect_uri", "") + separator + urlencode(params)}, ""

    def _session(self, query: dict[str, str]) -> frozenset[str]:
        """The person's browser session: a login with prompt=login makes a new one showing
        what it asked for; any other login reuses the one there is."""
        if query.get("prompt") == "login":
            self.browser_session = session_shown(query)
        return self.browser_session

    def _allowed_redirect(self, uri: str) -> bool:
        """A Native App may send the code to Globus's own code page or to a local server."""
        if uri == f"{self.standin.url}v2/web/auth-code":
            return True
        return re.fullmatch(r"http://(localhost|127\.0\.0\.1)(:\d+)?(/\S*)?", uri) is not None

    @staticmethod
    def code_page(code: str) -> str:
        return (
            f"<html><body><p>Copy this code into your terminal:</p>"
            f"<pre id='code'>{html.escape(code)}</pre></body></html>"
        )

    # -- token grants ----------------------------------------------------------------------
    def exchange(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        pending = self.codes.pop(form.get("code", ""), None)
        if pending is None or pending.client_id != form.get("client_id"):
            return auth_error(400, "invalid_grant", "Invalid grant")
        if pending.redirect_uri != form.get("redirect_uri"):
            return auth_error(400, "invalid_grant", "redirect_uri mismatch")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != pending.challenge:
            return auth_error(400, "invalid_grant", "PKCE check failed")
        by_rs: dict[str, list[str]] = {}
        for scope in pending.scopes:
            rs = self.resource_server(scope)
            assert rs is not None
            by_rs.setdefault(rs, []).append(scope.scope_string)
        tokens = [
            self._issue(pending.client_id, rs, scopes, pending.offline, pending.session)
            for rs, scopes in by_rs.items()
        ]
        tokens.sort(key=lambda t: t["resource_server"] != AUTH_RS)
        if tokens[0]["resource_server"] == AUTH_RS and "openid" in tokens[0]["scope"].split():
            tokens[0]["id_token"] = self._id_token(pending.client_id, tokens[0]["scope"].split())
        first, *others = tokens
        return 200, {**first, "other_tokens": others}

    def refresh_grant(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        entry = self.refresh.get(form.get("refresh_token", ""))
        if entry is None or entry[0] != form.get("client_id"):
            return auth_error(400, "invalid_grant", "Invalid refresh token")
        client_id, rs, scopes, session = entry
        token = self._issue(client_id, rs, scopes, False, session)
        token["refresh_token"] = form["refresh_token"]  # Globus keeps refresh tokens
        return 200, {**token, "other_tokens": []}

    def revoke(self, form: dict[str, str]) -> None:
        value = form.get("token", "")
        self.refresh.pop(value, None)
        with self.standin.lock:
            self.standin.tokens.pop(value, None)
            for token in list(self.standin.tokens.values()):
                if token.refresh_token == value:
                    token.refresh_token = None

    def userinfo(self, bearer: str | None) -> tuple[int, dict[str, Any]]:
        token = self.standin.valid_token(bearer)
        if token is None or token.resource_server != AUTH_RS:
            return auth_error(401, "invalid_token", "Call must be authenticated")
        return 200, self._claims(token.scopes)

    def consents(self, bearer: str | None, identity_id: str) -> tuple[int, dict[str, Any]]:
        token = self.standin.valid_token(bearer)
        if token is None or token.resource_server != AUTH_RS or identity_id != token.identity_id:
            return auth_error(401, "unauthorized", "Call must be authenticated")
        return 200, {"consents": self.user.consents}

    def has_consent(self, client_id: str, scope: str, parent: str | None, since: float) -> bool:
        """Whether the person consented, for this client and no earlier than ``since``, to
        ``scope`` (beneath ``parent``, or at the top when None)."""
        consents = {c["id"]: c for c in self.user.consents if c["client"] == client_id}
        for consent in consents.values():
            path = consent["dependency_path"]
            if consent["scope_name"] != scope or consent["status"] != "approved":
                continue
            if datetime.datetime.fromisoformat(consent["updated"]).timestamp() < since:
                continue
            above = consents.get(path[-2]) if len(path) > 1 else None
            if (above["scope_name"] if above is not None else None) == parent:
                return True
        return False

    # -- helpers ---------------------------------------------------------------------------
    def _claims(self, scopes: list[str]) -> dict[str, Any]:
        """Only what the granted scopes disclose."""
        every = {
            "sub": self.user.identity_id,
            "last_authentication": int(time.time()) - 60,
            "preferred_username": self.user.username,
            "name": self.user.name,
            "organization": self.user.organization,
            "identity_provider": "5b9a4f8e-0000-4000-8000-000000000001",
            "identity_provider_display_name": "Stand-in IdP",
            "email": self.user.email,
        }
        names = {n for scope in scopes for n in CLAIMS_OF_SCOPE.get(scope, ())}
        return {k: v for k, v in every.items() if k in names}

    def resource_server(self, scope: Scope) -> str | None:
        """Which resource server a (possibly dependent) scope belongs to, None if unknown."""
        if scope.scope_string in OPENID_SCOPES:
            return AUTH_RS if not scope.dependencies else None
        return self.standin.scope_resource_server(scope)

    def _issue(
        self,
        client_id: str,
        rs: str,
        scopes: list[str],
        offline: bool,
        session: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        token = self.standin.issue_token(
            self.user.identity_id,
            self.user.username,
            rs,
            scopes,
            client_id,
            refresh=offline,
            user=True,
            session=session,
        )
        if token.refresh_token:
            self.refresh[token.refresh_token] = (client_id, rs, scopes, session)
        data = {
            "access_token": token.value,
            "scope": " ".join(scopes),
            "resource_server": rs,
            "expires_in": max(0, int(token.expires_at - time.time())),
            "token_type": "Bearer",
            "state": "_default",
        }
        if token.refresh_token:
            data["refresh_token"] = token.refresh_token
        return data

    def _id_token(self, client_id: str, scopes: list[str]) -> str:
        now = int(time.time())
        claims = {
            **self._claims(scopes),
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + 3600,
        }
        return self.signer.sign(claims)

    def _record_consents(self, client_id: str, scopes: list[Scope]) -> None:
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()

        def add(scope: Scope, path: list[int]) -> None:
            consent_id = len(self.user.consents) + 1
            self.user.consents.append(
                {
                    "id": consent_id,
                    "client": client_id,
                    "scope": secrets.token_hex(8),
                    "scope_name": scope.scope_string,
                    "effective_identity": self.user.identity_id,
                    "dependency_path": [*path, consent_id],
                    "created": now,
                    "updated": now,
                    "last_used": now,
                    "status": "approved",
                    "allows_refresh": True,
                    "auto_approved": False,
                    "atomically_revocable": False,
                }
            )
            for dependency in scope.dependencies:
                add(dependency, [*path, consent_id])

        for scope in scopes:
            add(scope, [])
