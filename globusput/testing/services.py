"""Globus Auth, and the port Auth and Transfer share, in the real services' shapes.

Sources: client-credentials grant, ``other_tokens`` and token shapes: Globus Auth API
reference (docs.globus.org/api/auth/reference/) and globus-sdk 4.10's ``testing/data/auth``
fixtures; error bodies ``{"errors": [...], "error": ...}``: ``testing/data/auth/_common.py``;
"Unknown scope" for ``data_access`` on guest and high-assurance collections and for endpoints:
globus-sdk's ``experimental/gcs_downloader.py`` and observed; the rate limit (about 20
requests a second): Globus FAQ, second hand, settable. Transfer's operations are
:mod:`globusput.testing.transfer`'s; a person's login is :mod:`globusput.testing.userauth`'s.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from globus_sdk.scopes import Scope, ScopeParser

from globusput.testing.model import Token, auth_error, client_username, data_token_fits
from globusput.testing.taskroutes import TaskRoutes, task_route
from globusput.testing.transfer import ENDPOINT, OPERATION, json_body, now
from globusput.testing.userauth import UserAuth

_CONSENTS = re.compile(r"^/v2/api/identities/([^/]+)/consents$")
_CHECK = re.compile(r"^/_standin/check/([^/]+)$")
_USER_AUTH_ROUTES = {
    "/.well-known/openid-configuration": "auth.oidc",
    "/jwk.json": "auth.jwks",
    "/v2/oauth2/authorize": "auth.authorize",
    "/v2/web/auth-code": "auth.code_page",
    "/v2/oauth2/token/revoke": "auth.revoke",
    "/v2/oauth2/userinfo": "auth.userinfo",
}


class ServicesHandler(TaskRoutes):
    """Auth and Transfer on one port, each request recorded, delayed and faulted as set."""

    @property
    def users(self) -> UserAuth:
        return self.server.standin.users  # type: ignore[attr-defined, no-any-return]

    # -- dispatch --------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        route = self._route(url.path)
        body = self.read_body() if self.command == "POST" else b""
        grant = parse_qs(body.decode(errors="replace")).get("grant_type", [""])[0]
        self.standin.record(
            route,
            method=self.command,
            path=url.path,
            authorized="Authorization" in self.headers,
            grant=grant,
            scope=parse_qs(body.decode(errors="replace")).get("scope", [""])[0],
            target=operation_target(route, url.query, body),
        )
        self.standin.wait_latency(_latency_kind(route))
        limit = self.standin.transfer_limit
        wait = limit.admit() if limit is not None and route.startswith("transfer.") else 0.0
        if limit is not None and wait:
            self.standin.record("throttled", path=url.path)
            self.send_json(
                429,
                {
                    "code": "RateLimitExceeded",
                    "message": "Rate limit exceeded; slow down and retry",
                    "request_id": secrets.token_hex(5),
                },
                {"Retry-After": str(max(1, math.ceil(wait)))} if limit.retry_after else None,
            )
            return
        fault = self.standin.take_fault(route, url.path)
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
            self.send_json(
                fault.status,
                {"code": "ServiceUnavailable", "message": "scripted", "request_id": "fault"},
                headers,
            )
            return
        if fault is not None and fault.kind == "expire":
            self.standin.expire_tokens()
        if fault is not None and fault.kind == "consent":
            self.standin.forget_consents()
        if route == "auth.token":
            self._token(body)
        elif route.startswith("auth."):
            self._user_auth(
                route, url.path, {k: v[0] for k, v in parse_qs(url.query).items()}, body
            )
        elif route.startswith("transfer.") and task_route(url.path):
            self._task(route, url.path, parse_qs(url.query), body)
        elif route.startswith("transfer."):
            self._transfer(url.path, parse_qs(url.query), body)
        elif route == "data.check":
            self._check_data_token(url.path)
        else:
            self.send_json(404, {"code": "NotFound", "message": f"no route {url.path}"})

    @staticmethod
    def _route(path: str) -> str:
        if path == "/v2/oauth2/token":
            return "auth.token"
        if path in _USER_AUTH_ROUTES:
            return _USER_AUTH_ROUTES[path]
        if _CONSENTS.match(path):
            return "auth.consents"
        if _CHECK.match(path):
            return "data.check"
        if ENDPOINT.match(path):
            return "transfer.endpoint"
        match = OPERATION.match(path)
        if match:
            return f"transfer.{match.group(2)}"
        return task_route(path) or "other"

    # -- Auth ------------------------------------------------------------------------------
    def _token(self, body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        users = self.users
        if "Authorization" not in self.headers and form.get("client_id") in users.native_clients:
            grant = form.get("grant_type")
            if grant == "authorization_code":
                self.send_json(*users.exchange(form))
            elif grant == "refresh_token":
                self.send_json(*users.refresh_grant(form))
            else:
                self.send_json(*auth_error(400, "unsupported_grant_type", f"grant {grant}"))
            return
        client_id = self._basic_client()
        if client_id is None:
            self.send_json(*auth_error(401, "invalid_client", "Invalid client credentials"))
            return
        if form.get("grant_type") != "client_credentials":
            self.send_json(*auth_error(400, "unsupported_grant_type", "Unsupported grant type"))
            return
        try:
            scopes = ScopeParser.parse(form.get("scope", ""))
        except Exception:
            self.send_json(*auth_error(400, "invalid_scope", "Malformed scope string"))
            return
        by_rs: dict[str, list[Scope]] = {}
        for scope in scopes:
            resource_server = self.standin.scope_resource_server(scope)
            if resource_server is None:
                self.send_json(*auth_error(400, "invalid_scope", f"Unknown scope {scope}"))
                return
            by_rs.setdefault(resource_server, []).append(scope)
        if not by_rs:
            self.send_json(*auth_error(400, "invalid_scope", "No scope requested"))
            return
        tokens = [
            self.standin.issue_token(
                client_id,
                client_username(client_id),
                rs,
                [s.scope_string for s in rs_scopes],
                client_id,
                dependencies=frozenset(d.scope_string for s in rs_scopes for d in s.dependencies),
            )
            for rs, rs_scopes in by_rs.items()
        ]
        first, *others = (self._token_json(t) for t in tokens)
        self.send_json(200, {**first, "other_tokens": others})

    def _token_json(self, token: Token) -> dict[str, Any]:
        return {
            "access_token": token.value,
            "scope": " ".join(token.scopes),
            "resource_server": token.resource_server,
            "expires_in": max(0, int(token.expires_at - now())),
            "token_type": "Bearer",
            **({"refresh_token": token.refresh_token} if token.refresh_token else {}),
        }

    def _basic_client(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        expected = self.standin.clients.get(client_id)
        if expected is None or not secrets.compare_digest(expected, secret):
            return None
        return client_id

    def _check_data_token(self, path: str) -> None:
        """For an external data server (nginx ``auth_request``): may this token write there?"""
        match = _CHECK.match(path)
        assert match is not None
        collection = self.standin.collections.get(match.group(1))
        token = self.standin.valid_token(self.bearer_token())
        cpath = unquote(urlsplit(self.headers.get("X-Original-URI", "/")).path)
        if collection is None or token is None:
            self.send(401)
        elif not data_token_fits(token, collection) or not collection.allows(token.username, cpath):
            self.send(403)
        else:
            self.send(204)

    def _user_auth(self, route: str, path: str, query: dict[str, str], body: bytes) -> None:
        users = self.users
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if route == "auth.oidc":
            self.send_json(200, users.openid_configuration())
        elif route == "auth.jwks":
            self.send_json(200, users.jwks())
        elif route == "auth.authorize":
            status, headers, reason = users.authorize(query)
            self.send(status, reason.encode(), "text/plain", headers)
        elif route == "auth.code_page":
            self.send(200, users.code_page(query.get("code", "")).encode(), "text/html")
        elif route == "auth.revoke":
            # Globus wants to know who asks: a public client names itself, others log in
            if form.get("client_id") not in users.native_clients and not self._basic_client():
                self.send_json(*auth_error(401, "invalid_client", "Client authentication failed"))
                return
            users.revoke(form)
            self.send_json(200, {"active": False})
        elif route == "auth.userinfo":
            self.send_json(*users.userinfo(self.bearer_token()))
        else:
            match = _CONSENTS.match(path)
            assert match is not None
            self.send_json(*users.consents(self.bearer_token(), match.group(1)))


def _latency_kind(route: str) -> str:
    """Operations are relayed to the collection's server by Transfer: the slowest calls."""
    if route in ("transfer.mkdir", "transfer.stat", "transfer.rename", "transfer.ls"):
        return "op"
    return route.partition(".")[0]


def operation_target(route: str, query: str, body: bytes) -> str | None:
    """The collection path a Transfer operation names, for tests to see what was asked."""
    if route in ("transfer.stat", "transfer.ls"):
        return unquote(parse_qs(query).get("path", ["/"])[0])
    if route in ("transfer.mkdir", "transfer.rename"):
        try:
            data = json_body(body)
        except ValueError:
            return None
        return str(data.get("path") or data.get("old_path"))
    return None
