"""What a collection's HTTPS server answers besides files, fault by fault: its step-up page
(200 with HTML: the original upload script's notes), the 404 naming ``ENDPOINT_ERROR`` it gives
under load (observed; the body's shape is unrecorded, so each plausible one), plain statuses and
redirects, and a server that echoes the caller's token in its answer (misconfigured or
compromised: the reason phrase, a header and the body all carry it).
"""

from __future__ import annotations

from globusput.testing.model import Fault

STEP_UP_PAGE = b"""<!DOCTYPE html>
<html><head><title>Globus</title>
<script>window.location.replace("https://auth.globus.org/v2/oauth2/authorize?session_required_single_domain=example.edu");</script>
</head><body>Authentication required. Redirecting...</body></html>
"""
#: A transient backend fault answered as 404 (observed under load, see the facts file); the
#: body's exact shape is not recorded, so each one that names the fault
ENDPOINT_ERROR_BODIES = {
    "json": (
        b'{"code": "ENDPOINT_ERROR", "message": "GCS Manager Internal Error", '
        b'"http_response_code": 404}',
        "application/json",
    ),
    "code": (b'{"code": "ENDPOINT_ERROR", "http_response_code": 404}', "application/json"),
    "text": (b"GCS Manager Internal Error\n", "text/plain"),
}


def fault_answer(fault: Fault, token: str) -> tuple[int, str, bytes, dict[str, str]]:
    """Status, reason phrase, body and headers of a scripted answer."""
    if fault.kind == "html":
        return 200, "OK", STEP_UP_PAGE, {"Content-Type": "text/html; charset=utf-8"}
    if fault.kind == "endpoint_error":
        body, kind = ENDPOINT_ERROR_BODIES[fault.body]
        return 404, "Not Found", body, {"Content-Type": kind}
    if fault.kind == "echo":
        said = f"token {token} is not welcome here"
        headers = {"Content-Type": "text/plain", "X-Debug-Authorization": f"Bearer {token}"}
        return fault.status, said, f"{said}\n".encode(), headers
    headers = {"Content-Type": "text/plain"}
    if fault.retry_after:
        headers["Retry-After"] = str(fault.retry_after)
    if fault.location:
        headers["Location"] = fault.location
    return (
        fault.status,
        "Service temporarily unavailable",
        b"Service temporarily unavailable",
        headers,
    )
