"""Globus Auth and Transfer, as far as globusput uses them, in the real services' shapes.

Where each behaviour comes from (what is not listed is the stand-in's own bookkeeping):

- client-credentials grant, ``other_tokens``, token introspection shapes: Globus Auth API
  reference (docs.globus.org/api/auth/reference/) and globus-sdk 4.10's
  ``testing/data/auth`` fixtures; error bodies ``{"errors": [...], "error": ...}``:
  ``testing/data/auth/_common.py``;
- "Unknown scope" for ``data_access`` on guest and high-assurance collections and for
  endpoints: globus-sdk's ``experimental/gcs_downloader.py`` (asks it only of mapped
  collections that are not high assurance) and observed;
- ``GET /v0.10/endpoint/ID`` fields (``entity_type``, ``https_server``, ``high_assurance``,
  ``non_functional``): Transfer API reference, endpoints and collections;
- ``mkdir``/``rename``/``stat``/``ls`` bodies and ``DATA_TYPE``s: Transfer API reference,
  file operations (docs.globus.org/api/transfer/file_operations/); error codes
  ``ExternalError.MkdirFailed.Exists`` (502), ``ClientError.NotFound``,
  ``ExternalError.MkdirFailed.PermissionDenied``, ``EndpointNotFound``: observed from real
  servers; ``ConsentRequired`` with ``required_scopes``: globus-sdk ``exc/err_info.py``;
  session policies as ``authorization_parameters`` (403, or inside a 502 ``LoginFailed``):
  globus-sdk ``exc/err_info.py`` and observed;
- rename onto an existing name: undocumented, every plausible answer behind
  ``Collection.rename_onto_existing``; the rate limit (about 20 requests a second): Globus
  FAQ, second hand, settable.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import re
import secrets
import shutil
import stat
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from globus_sdk.scopes import Scope, ScopeParser

from globusput.testing.standin import (
    TRANSFER_RS,
    TRANSFER_SCOPE,
    Collection,
    StandIn,
    Token,
    client_username,
    data_access_scope,
    data_token_fits,
    https_scope,
)
from globusput.testing.tlsserver import Handler

if TYPE_CHECKING:
    from pathlib import Path

_OPERATION = re.compile(r"^/v0\.10/operation/endpoint/([^/]+)/(mkdir|stat|rename|ls)$")
_ENDPOINT = re.compile(r"^/v0\.10/endpoint/([^/]+)$")
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


class ServicesHandler(Handler):
    @property
    def standin(self) -> StandIn:
        return self.server.standin  # type: ignore[attr-defined, no-any-return]

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
            target=_operation_target(route, url.query, body),
        )
        self.standin.wait_latency(_latency_kind(route))
        limit = self.standin.transfer_limit
        wait = limit.admit() if limit is not None and route.startswith("transfer.") else 0.0
        if wait:
            self.standin.record("throttled", path=url.path)
            self.send_json(
                429,
                {
                    "code": "RateLimitExceeded",
                    "message": "Rate limit exceeded; slow down and retry",
                    "request_id": secrets.token_hex(5),
                },
                {"Retry-After": str(max(1, math.ceil(wait)))},
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
        if _ENDPOINT.match(path):
            return "transfer.endpoint"
        match = _OPERATION.match(path)
        if match:
            return f"transfer.{match.group(2)}"
        return "other"

    # -- Auth ------------------------------------------------------------------------------
    def _token(self, body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        users = self.standin.users
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
            resource_server = scope_resource_server(self.standin, scope)
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
            "expires_in": max(0, int(token.expires_at - _now())),
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
        users = self.standin.users
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

    # -- Transfer --------------------------------------------------------------------------
    def _transfer(self, path: str, query: dict[str, list[str]], body: bytes) -> None:
        token = self.standin.valid_token(self.bearer_token())
        if token is None or token.resource_server != TRANSFER_RS:
            self._error(401, "AuthenticationFailed", "Token is not active", path)
            return
        match = _ENDPOINT.match(path) or _OPERATION.match(path)
        assert match is not None
        collection = self.standin.collections.get(match.group(1))
        if collection is None:
            self._error(
                404, "EndpointNotFound", f"No such endpoint with id '{match.group(1)}'", path
            )
            return
        if _ENDPOINT.match(path):
            self.send_json(200, _endpoint_document(collection))
            return
        operation = match.group(2)
        method = "POST" if operation in ("mkdir", "rename") else "GET"
        if self.command != method:
            self._error(405, "ClientError.MethodNotAllowed", f"{operation} takes {method}", path)
            return
        if method == "POST":
            try:
                data_type = _json(body).get("DATA_TYPE")
            except ValueError:
                data_type = None
            if data_type != operation:
                self._error(400, "ClientError.BadRequest", f"DATA_TYPE must be {operation}", path)
                return
        if collection.is_endpoint:
            self._error(
                400,
                "ClientError.BadRequest",
                f"'{collection.id}' is an endpoint, not a collection: no filesystem operations",
                path,
            )
            return
        if collection.session_policy is not None:
            self._session_required(collection, path)
            return
        if not self.standin.may_access_data(token, collection):
            required = self.standin.required_consent(collection)
            self.send_json(
                403,
                {
                    "code": "ConsentRequired",
                    "message": "Missing required data_access consent",
                    "request_id": secrets.token_hex(5),
                    "resource": path,
                    "required_scopes": [required],
                },
            )
            return
        if token.username in collection.transfer_denied:
            self._error(
                403,
                "EndpointPermissionDenied",
                "Denied by endpoint, Error (list)\nMessage: Permission denied",
                path,
            )
            return
        try:
            if operation == "rename":
                self._rename(collection, token, _json(body), path)
            elif operation == "mkdir":
                self._mkdir(collection, token, str(_json(body).get("path", "")), path)
            else:
                self._stat_or_ls(collection, token, query, operation, path)
        except ValueError as exc:
            self._error(400, "ClientError.BadRequest", str(exc), path)

    def _stat_or_ls(
        self,
        collection: Collection,
        token: Token,
        query: dict[str, list[str]],
        operation: str,
        resource: str,
    ) -> None:
        cpath = query.get("path", ["/"])[0]
        cpath = unquote(cpath)
        if not collection.allows(token.username, cpath):
            self._error(403, "EndpointPermissionDenied", f"Denied by endpoint: {cpath}", resource)
            return
        target = collection.fs_path(cpath)
        if not target.exists():
            code = "ClientError.NotFound" if operation == "ls" else "NotFound"
            self._error(404, code, f"Path not found, Error (list)\n'{cpath}' not found", resource)
            return
        if operation == "stat":
            self.send_json(200, _file_entry(target))
            return
        if not target.is_dir():
            self._error(
                502,
                "ExternalError.DirListingFailed.NotDirectory",
                f"'{cpath}' is not a directory",
                resource,
            )
            return
        # hidden entries only when asked for (stricter than a default that shows them), and
        # pages as Transfer serves them: offset and limit, at most 100,000 entries
        hidden = query.get("show_hidden", ["false"])[0].lower() in ("true", "1")
        children = [c for c in sorted(target.iterdir()) if hidden or not c.name.startswith(".")]
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["100000"])[0]), 100000)
        entries = [_file_entry(child) for child in children[offset : offset + limit]]
        self.send_json(
            200,
            {
                "DATA_TYPE": "file_list",
                "DATA": entries,
                "path": cpath,
                "endpoint": collection.id,
                "length": len(entries),
                "total": len(children),
                "offset": offset,
                "limit": limit,
            },
        )

    def _mkdir(self, collection: Collection, token: Token, cpath: str, resource: str) -> None:
        if not collection.allows(token.username, cpath):
            self._error(
                403,
                "ExternalError.MkdirFailed.PermissionDenied",
                f"Permission denied, Error (mkdir)\nPath: {cpath}",
                resource,
            )
            return
        target = collection.fs_path(cpath)
        if target.exists():
            self._error(
                502,
                "ExternalError.MkdirFailed.Exists",
                f"Path already exists, Error Path '{cpath}' already exists",
                resource,
            )
            return
        if not target.parent.is_dir() and not collection.mkdir_makes_parents:
            self._error(404, "NotFound", f"Path not found, Error (mkdir)\n'{cpath}'", resource)
            return
        target.mkdir(parents=collection.mkdir_makes_parents)
        self.send_json(
            202,
            {
                "DATA_TYPE": "mkdir_result",
                "code": "DirectoryCreated",
                "message": "The directory was created successfully",
                "request_id": secrets.token_hex(5),
                "resource": resource,
            },
        )

    def _rename(
        self, collection: Collection, token: Token, body: dict[str, Any], resource: str
    ) -> None:
        old, new = str(body.get("old_path", "")), str(body.get("new_path", ""))
        if not (collection.allows(token.username, old) and collection.allows(token.username, new)):
            self._error(403, "EndpointPermissionDenied", f"Denied by endpoint: {old}", resource)
            return
        source, target = collection.fs_path(old), collection.fs_path(new)
        if not source.exists():
            self._error(404, "NotFound", f"Path not found: '{old}'", resource)
            return
        answer = collection.rename_onto_existing
        if target.exists() and (target.is_dir() or answer != "replaces"):
            status, code, text = {
                "exists": (502, "ExternalError.RenameFailed.Exists", f"'{new}' already exists"),
                "conflict": (409, "Conflict", f"Destination exists: {new}"),
            }.get(answer, (502, "ExternalError.RenameFailed", f"Error (rename)\nPath: {new}"))
            self._error(status, code, text, resource)
            return
        shutil.move(str(source), str(target))
        self.send_json(
            200,
            {
                "DATA_TYPE": "result",
                "code": "FileRenamed",
                "message": "File or directory renamed successfully",
                "request_id": secrets.token_hex(5),
                "resource": resource,
            },
        )

    def _session_required(self, collection: Collection, resource: str) -> None:
        """The collection's session policy, as Transfer relays it: authorization parameters
        at the top level (403) or a ``LoginFailed`` listing failure (502), both parseable."""
        params = {
            "session_message": "You must log in with an identity that satisfies the policy",
            "session_required_identities": None,
            **(collection.session_policy or {}),
        }
        if collection.session_error_status == 502:
            code, message = "ExternalError.DirListingFailed.LoginFailed", "Login Failed"
        else:
            code, message = "AuthorizationRequired", "Session policy not satisfied"
        self.send_json(
            collection.session_error_status,
            {
                "code": code,
                "message": message,
                "request_id": secrets.token_hex(5),
                "resource": resource,
                "authorization_parameters": params,
            },
        )

    def _error(self, status: int, code: str, message: str, resource: str) -> None:
        self.send_json(
            status,
            {
                "code": code,
                "message": message,
                "request_id": secrets.token_hex(5),
                "resource": resource,
            },
        )


def _operation_target(route: str, query: str, body: bytes) -> str | None:
    """The collection path a Transfer operation names, for tests to see what was asked."""
    if route in ("transfer.stat", "transfer.ls"):
        return unquote(parse_qs(query).get("path", ["/"])[0])
    if route in ("transfer.mkdir", "transfer.rename"):
        try:
            data = _json(body)
        except ValueError:
            return None
        return str(data.get("path") or data.get("old_path"))
    return None


def _latency_kind(route: str) -> str:
    """Operations are relayed to the collection's server by Transfer: the slowest calls."""
    if route in ("transfer.mkdir", "transfer.stat", "transfer.rename", "transfer.ls"):
        return "op"
    return route.partition(".")[0]


def resource_server_of(standin: StandIn, scope: str) -> str | None:
    """The resource server a scope string belongs to, None for an unknown scope: an endpoint
    has no collection scopes, and only mapped collections short of high assurance have
    ``data_access``."""
    if scope == TRANSFER_SCOPE:
        return TRANSFER_RS
    for collection in standin.collections.values():
        if collection.https_server is None:
            continue  # an endpoint, or a collection without HTTPS: no such scopes
        if scope == https_scope(collection.id):
            return collection.id
        if scope == data_access_scope(collection.id) and collection.needs_data_access:
            return collection.id
    return None


def scope_resource_server(standin: StandIn, scope: Scope) -> str | None:
    """Like :func:`resource_server_of` for a parsed scope; every dependency must be known."""
    rs = resource_server_of(standin, scope.scope_string)
    for dependency in scope.dependencies:
        if resource_server_of(standin, dependency.scope_string) is None:
            return None
    return rs


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


def _endpoint_document(collection: Collection) -> dict[str, Any]:
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


def _file_entry(path: Path) -> dict[str, Any]:
    info = path.stat()
    modified = datetime.datetime.fromtimestamp(int(info.st_mtime), datetime.timezone.utc)
    return {
        "DATA_TYPE": "file",
        "name": path.name,
        "type": "dir" if path.is_dir() else "file",
        "size": info.st_size,
        "last_modified": modified.strftime("%Y-%m-%d %H:%M:%S+00:00"),
        "permissions": f"{stat.S_IMODE(info.st_mode):04o}",
        "user": "standin",
        "group": "standin",
        "link_target": None,
    }


def _json(body: bytes) -> dict[str, Any]:
    import json

    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("request body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("request body is not a JSON object")
    return data


def _now() -> float:
    import time

    return time.time()
