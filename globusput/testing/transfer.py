"""Globus Transfer's endpoint document and file operations, in the real service's shapes.

Sources: ``GET /v0.10/endpoint/ID`` fields: Transfer API reference, endpoints and collections;
``mkdir``/``rename``/``stat``/``ls`` bodies and ``DATA_TYPE``s: Transfer API reference, file
operations; error codes ``ExternalError.MkdirFailed.Exists`` (502), ``ClientError.NotFound``,
``ExternalError.MkdirFailed.PermissionDenied``, ``EndpointNotFound``: observed from real
servers; ``ConsentRequired`` with ``required_scopes``: globus-sdk ``exc/err_info.py``; session
policies as ``authorization_parameters`` (403, or inside a 502 ``LoginFailed``): globus-sdk
``exc/err_info.py`` and observed; rename onto an existing name: undocumented, every plausible
answer behind ``Collection.rename_onto_existing``.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from typing import Any
from urllib.parse import unquote

from globusput.testing.listing import listing_page
from globusput.testing.model import (
    TRANSFER_RS,
    Collection,
    Token,
    endpoint_document,
    file_entry,
)
from globusput.testing.people import session_satisfied
from globusput.testing.state import State
from globusput.testing.tlsserver import Handler

OPERATION = re.compile(r"^/v0\.10/operation/endpoint/([^/]+)/(mkdir|stat|rename|ls)$")
ENDPOINT = re.compile(r"^/v0\.10/endpoint/([^/]+)$")
_OPERATION, _ENDPOINT = OPERATION, ENDPOINT


class TransferRoutes(Handler):
    """Transfer's endpoint document and file operations (mkdir, stat, ls, rename)."""

    @property
    def standin(self) -> State:
        return self.server.standin  # type: ignore[attr-defined, no-any-return]

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
            self.send_json(200, endpoint_document(collection))
            return
        operation = match.group(2)
        if self._refused(collection, token, operation, path, body):
            return
        resolve = collection.absolute
        try:
            if operation == "rename":
                paths = json_body(body)
                for key in ("old_path", "new_path"):
                    paths[key] = resolve(str(paths.get(key, "")))
                self._rename(collection, token, paths, path)
            elif operation == "mkdir":
                self._mkdir(collection, token, resolve(str(json_body(body).get("path", ""))), path)
            else:
                asked = unquote(query.get("path", ["/"])[0])
                query = {**query, "path": [resolve(asked)], "asked": [asked]}
                self._stat_or_ls(collection, token, query, operation, path)
        except ValueError as exc:
            self._error(400, "ClientError.BadRequest", str(exc), path)

    def _refused(
        self, collection: Collection, token: Token, operation: str, path: str, body: bytes
    ) -> bool:
        """Answer a request Transfer would refuse before touching the collection: wrong method
        or DATA_TYPE, an endpoint, a session policy, missing consent, denied operations."""
        method = "POST" if operation in ("mkdir", "rename") else "GET"
        if self.command != method:
            self._error(405, "ClientError.MethodNotAllowed", f"{operation} takes {method}", path)
            return True
        if method == "POST":
            try:
                data_type = json_body(body).get("DATA_TYPE")
            except ValueError:
                data_type = None
            if data_type != operation:
                self._error(400, "ClientError.BadRequest", f"DATA_TYPE must be {operation}", path)
                return True
        if self._refuses(collection, token, path):
            return True
        if token.username in collection.transfer_denied:
            self._error(
                403,
                "EndpointPermissionDenied",
                "Denied by endpoint, Error (list)\nMessage: Permission denied",
                path,
            )
            return True
        return False

    def _refuses(self, collection: Collection, token: Token, path: str) -> bool:
        """Transfer's refusals before it touches a collection, for file operations and task
        submissions alike: an endpoint, a session policy, consent it lacks."""
        if collection.is_endpoint:
            self._error(
                400,
                "ClientError.BadRequest",
                f"'{collection.id}' is an endpoint, not a collection: no filesystem operations",
                path,
            )
            return True
        if not session_satisfied(token, collection):
            self._session_required(collection, path)
            return True
        if not self.standin.may_access_data(token, collection):
            required = [self.standin.required_consent(collection)]
            # the scopes at the top and in authorization_parameters, as observed (globus-cli
            # tests/functional/exception_handling/test_session_hooks.py); each alone by switch
            answer: dict[str, Any] = {"code": "ConsentRequired", "resource": path}
            answer |= {"message": "Missing required data_access consent", "request_id": "a1b2c"}
            if collection.consent_scopes_at != "parameters":
                answer["required_scopes"] = required
            if collection.consent_scopes_at != "top":
                answer["authorization_parameters"] = {"required_scopes": required}
            self.send_json(403, answer)
            return True
        return False

    def _stat_or_ls(
        self,
        collection: Collection,
        token: Token,
        query: dict[str, list[str]],
        operation: str,
        resource: str,
    ) -> None:
        cpath = query["path"][0]
        if not collection.allows(token.username, cpath):
            self._error(403, "EndpointPermissionDenied", f"Denied by endpoint: {cpath}", resource)
            return
        real = re.sub(r"(/loop)+(?=/|$)", "", cpath) if collection.self_containing else cpath
        target = collection.fs_path(real)
        if not target.exists():
            code = "ClientError.NotFound" if operation == "ls" else "NotFound"
            self._error(404, code, f"Path not found, Error (list)\n'{cpath}' not found", resource)
            return
        if operation == "stat":
            self.send_json(200, file_entry(target))
            return
        if not target.is_dir():
            self._error(
                502,
                "ExternalError.DirListingFailed.NotDirectory",
                f"'{cpath}' is not a directory",
                resource,
            )
            return
        page = listing_page(collection, query["asked"][0], cpath, target, query)
        if page is None:
            limit_text = f"Directory limit of {collection.listing_limit} reached"
            self._error(502, "ExternalError.DirListingFailed.SizeLimit", limit_text, resource)
            return
        self.send_json(200, page)

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


def json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("request body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("request body is not a JSON object")
    return data


def now() -> float:
    return time.time()
