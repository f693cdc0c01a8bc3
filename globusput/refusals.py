"""What Transfer's refusals mean: consent it wants (however the answer names the scopes),
an operation refused on one path (and what the run does without it), any other failure in
words. Kept apart from :mod:`globusput.collection`, which decides what to do about them."""

from __future__ import annotations

from typing import Protocol

import globus_sdk

from globusput.errors import AuthError, GlobusputError, ServiceError


def consent_scopes(exc: globus_sdk.TransferAPIError) -> list[str] | None:
    """The scopes a ConsentRequired answer wants, None for any other answer. Observed bodies
    name them at the top and in ``authorization_parameters``; either alone is read too."""
    if exc.code != "ConsentRequired":
        return None
    if exc.info.consent_required:
        return list(exc.info.consent_required.required_scopes)
    body = exc.raw_json if isinstance(exc.raw_json, dict) else {}
    params = body.get("authorization_parameters")
    scopes = params.get("required_scopes") if isinstance(params, dict) else None
    return [str(s) for s in scopes] if isinstance(scopes, list) else []


#: What a refused operation was, and what the run does without it.
REFUSED = {
    "ls": "refused to list {}",
    "stat": "refused to look up {}",
    "mkdir": "refused to create {}",
    "rename": "refused renames in {}",
    "oversized": "will not list {} (more entries than its listing limit)",
}
WITHOUT = {
    "ls": "files there are looked up one at a time (HEAD, or Transfer's stat)",
    "oversized": "files there are looked up one at a time (HEAD, or Transfer's stat)",
    "stat": "an existing folder at a file destination there is not detected",
    "mkdir": "a missing folder there is not created",
    "rename": "files there go in place, without a temporary name",
}
#: Said once when a listing shows ``rename_supported: false`` (storage where rename copies).
RENAMES_COPY = (
    "Globus Transfer says this collection's storage copies on rename (rename_supported: "
    "false): files go in place, without a temporary name"
)


def service_error(
    exc: globus_sdk.TransferAPIError, what: str, collection: str, identity: str
) -> GlobusputError:
    """A Transfer failure in words: a refusal names who needs access; anything else keeps
    Transfer's code and message, on one line however Transfer wrote it."""
    if exc.http_status in (401, 403):
        return AuthError(
            f"Globus Transfer refused to {what} on collection {collection} for {identity} "
            f"({exc.http_status} {exc.code}): grant that identity access to the collection"
        )
    said = " ".join(str(exc.message).split())[:300]
    return ServiceError(
        f"Globus Transfer failed to {what} on collection {collection}: {exc.http_status} "
        f"{exc.code}: {said}"
    )


class _Refusing(Protocol):  # a Collection, named without importing it
    id: str
    identity: str
    oversized: set[str]


def unlisted(collection: _Refusing, why: str, folder: str) -> GlobusputError:
    """Transfer refused to list ``folder`` (or it is over the listing limit): ``why``
    that matters."""
    if folder in collection.oversized:
        return ServiceError(
            f"Globus Transfer will not list {folder}/ on collection {collection.id}: it holds "
            f"more entries than Transfer's listing limit; {why}: name its files, or "
            "keep releases in smaller folders"
        )
    return AuthError(
        f"Globus Transfer refused to list {folder}/ on collection {collection.id} for "
        f"{collection.identity}; {why}, or grant the identity access there"
    )
