"""What a collection's HTTPS server meant: done, worth another try, or final.

Pure decisions on an answer, apart from sending it: every outcome a user could mistake for
success is a failure here (a redirect to a login page, a 2xx carrying an HTML step-up page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
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
