"""What Globus meant: a collection's HTTPS server (done, worth another try, or final), and
Auth and Transfer refusals that need a person to act (consent, a session policy, a dead login).

Pure decisions on an answer, apart from sending it: every outcome a user could mistake for
success is a failure here (a redirect to a login page, a 2xx carrying an HTML step-up page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from globusput.errors import AuthError

if TYPE_CHECKING:
    import globus_sdk

    from globusput.layout import PlannedUpload

#: Statuses that say "try again later" rather than "this will never work".
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Answers that may mean "the folder is missing": servers disagree (WebDAV 409, nginx 500,
#: others 404, 405 or 403), and Globus does not document its own.
FOLDER_HINTS = frozenset({403, 404, 405, 409, 500})


class Retryable(Exception):
    """An attempt failed in a way worth repeating."""

    def __init__(
        self, reason: str, response: requests.Response | None = None, unknown_outcome: bool = False
    ) -> None:
        super().__init__(reason)
        self.response = response
        self.unknown_outcome = unknown_outcome  #: the server may have stored the file anyway

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None


class Permanent(Exception):
    """An attempt failed in a way that another attempt will not change."""

    def __init__(self, reason: str, auth: bool = False, status: int | None = None) -> None:
        super().__init__(reason)
        self.auth = auth
        self.status = status


class Unauthorized(Exception):
    """401, or 403: the token may have expired (servers say either); renewing it may be worth
    one more attempt. ``final`` is the failure to report when it is not."""

    def __init__(self, generation: int, final: Permanent) -> None:
        super().__init__(str(final))
        self.generation = generation
        self.final = final

    @property
    def status(self) -> int:
        return self.final.status or 401


def judge(
    item: PlannedUpload,
    response: requests.Response,
    generation: int,
    identity: str,
    collection: str,
) -> None:
    """Turn an answer to a PUT into success (return), a retry or a final failure (raise)."""
    status = response.status_code
    if 200 <= status < 300:
        if looks_like_html(response):
            raise Permanent(
                f"the server answered {status} with an HTML page instead of storing the file: "
                "the collection wants an interactive (step-up) login; use an identity that "
                "satisfies its authentication policy",
                auth=True,
            )
        return
    if 300 <= status < 400:
        raise Permanent(
            f"redirected ({status}) to a login page: the collection did not accept the token "
            f"for {identity}; check that the collection id is right and that identity "
            "has access",
            auth=True,
        )
    if status in (401, 403):
        message = permission_message(item, status, identity, collection)
        raise Unauthorized(generation, Permanent(message, auth=True, status=status))
    if status in TRANSIENT_STATUSES or (status == 404 and endpoint_error(response)):
        raise Retryable(f"server answered {status}", response=response)
    if status in (404, 405, 409):
        raise Permanent(
            f"the server refused the file ({status}): the folder "
            f"{item.folder}/ is missing or {item.remote_path} is "
            "a folder; leave folder creation on (no --no-mkdir) or create it first",
            status=status,
        )
    raise Permanent(f"the server answered {status} {response.reason}", status=status)


def permission_message(item: PlannedUpload, status: int, identity: str, collection: str) -> str:
    """Who needs which access where, and where it is granted."""
    return (
        f"permission denied ({status}): {identity} needs write access to "
        f"{item.folder}/ on collection {collection}; "
        "grant it through the collection's sharing settings (guest collection) or an "
        "identity mapping (mapped collection)"
    )


def looks_like_html(response: requests.Response) -> bool:
    """A non-empty HTML body on a 2xx is a login page, not an acknowledgement."""
    head = response.content[:512].lstrip().lower()
    if not head:
        return False
    return "html" in response.headers.get("Content-Type", "").lower() or head.startswith(
        (b"<!doctype", b"<html", b"<head", b"<script")
    )


def endpoint_error(response: requests.Response) -> bool:
    """GCS answers some backend faults as 404 naming ENDPOINT_ERROR; those are transient."""
    text = response.content[:4096]
    return b"ENDPOINT_ERROR" in text or b"GCS Manager Internal Error" in text


def describe(exc: requests.RequestException) -> str:
    """A failure without an answer, in words (its text can carry URLs: not shown)."""
    if isinstance(exc, requests.Timeout):
        return "timed out waiting for the server"
    if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return "connection failed or was reset"
    return f"the server's answer could not be read ({type(exc).__name__})"


def login_again(exc: globus_sdk.AuthAPIError, what: str) -> AuthError:
    """A refresh that failed: the stored login is dead (unused for months, consent revoked)."""
    if "invalid_grant" in f"{exc.code} {exc.text}".lower() or exc.http_status in (400, 401):
        return AuthError(
            f"Globus Auth no longer accepts the stored login for {what} (expired or revoked): "
            "log in again with 'globusput login'"
        )
    return AuthError(f"Globus Auth refused to renew the token for {what} ({exc.http_status})")


def consent_error(
    collection_id: str, required_scopes: list[str], identity: str, person: bool = False
) -> AuthError:
    """Consent that Transfer wants and this run could not get: say which, and how."""
    scopes = " ".join(required_scopes) or "(not named)"
    if person:
        how = f"run 'globusput login {collection_id}' at a terminal, then rerun"
    else:
        how = "it was asked for and still refused: check the collection id and its access rules"
    return AuthError(
        f"Globus Transfer needs consent to {scopes} to act on collection {collection_id} "
        f"for {identity}: {how}"
    )


def session_error(params: Any, collection_id: str, identity: str) -> AuthError:
    """The collection's session policy (authorization parameters) in words: which login."""
    wants = []
    if params.session_required_single_domain:
        wants.append("an identity from " + " or ".join(params.session_required_single_domain))
    if params.session_required_identities:
        wants.append("one of the identities " + ", ".join(params.session_required_identities))
    if params.session_required_mfa:
        wants.append("multi-factor authentication")
    if params.session_required_policies:
        wants.append("the policies " + ", ".join(params.session_required_policies))
    need = "; ".join(wants) or "a new login session"
    return AuthError(
        f"collection {collection_id} requires a login session with {need}, which {identity} "
        "does not have: a person logs in again with 'globusput login' choosing such an "
        "identity; a confidential client cannot satisfy a session policy (use a collection "
        "without one)"
    )
