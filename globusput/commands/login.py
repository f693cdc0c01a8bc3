"""``globusput login [COLLECTION_ID...]``: a person logs in now, consenting for those
collections (GLOBUS_COLLECTION_ID's when none is named) as their types need, and meeting the
session policy a run without a terminal could not (kept by :func:`remember_session`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import globus_sdk
from globus_sdk.scopes import TransferScopes

from globusput.auth import TRANSFER_RESOURCE_SERVER, collection_requirements
from globusput.errors import AuthError
from globusput.pacing import TransferPacing
from globusput.person import (
    AUTH_RS,
    PROFILE,
    SESSION_KEYS,
    login,
    remembered_session,
    token_file,
    user_app,
)
from globusput.remote import CollectionInfo
from globusput.report import Reporter
from globusput.settings import Settings


def run(settings: Settings, reporter: Reporter, collections: list[str] | None = None) -> None:
    collections = list(collections or [])
    if not collections and settings.collection_id is not None:
        collections = [str(settings.collection_id)]
    remembered = remembered_session(settings)
    policy = _remembered(remembered)
    wants = str(policy.pop("collection", "")) if policy else ""
    if wants and wants not in collections:
        collections.append(wants)
    app = user_app(settings, reporter)
    app.add_scope_requirements({TRANSFER_RESOURCE_SERVER: [TransferScopes.all], AUTH_RS: [PROFILE]})
    logged_in = app.login_required() or bool(policy)
    if logged_in:
        for collection in collections:  # a guest collection's, the common case; see below
            app.add_scope_requirements(collection_requirements(collection, False))
        why = f"again: collection {wants} requires a new login session" if policy else ""
        login(app, settings, reporter, why, session=policy or None)
        remembered.unlink(missing_ok=True)
    transfer = TransferPacing().client(app=app)
    for collection in collections:
        try:
            doc = transfer.get_endpoint(collection).data
        except globus_sdk.GlobusAPIError as exc:
            raise AuthError(
                f"Globus Transfer cannot read collection {collection} ({exc.http_status}): "
                "check its id"
            ) from None
        needs = CollectionInfo.from_document(collection, doc).needs_data_access
        app.add_scope_requirements(collection_requirements(collection, needs))
    if app.login_required():
        login(app, settings, reporter, "to consent for collection " + ", ".join(collections))
        logged_in = True
    path = token_file(settings.native_client_id)
    state = "logged in" if logged_in else "already logged in"
    reporter.info(f"{state}; tokens are stored in {path}")


def _remembered(path: Path) -> dict[str, Any]:
    """The session policy a run left for this login, read as input (only its known keys)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in (*SESSION_KEYS, "collection") and v}
