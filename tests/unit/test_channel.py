"""What a collection's answer means, decided without a network."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest
import requests

from globusput.channel import judge
from globusput.errors import Permanent, Retryable, Unauthorized
from globusput.plans import PlannedUpload
from globusput.selection import LocalFile

ITEM = PlannedUpload(LocalFile("a.whl", PurePosixPath("a.whl"), 3), "/r/a.whl", "https://x")
WHO = "c@clients.auth.globus.org"


def answer(status: int, body: bytes = b"", content_type: str = "") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    if content_type:
        response.headers["Content-Type"] = content_type
    return response


def test_an_empty_2xx_is_success() -> None:
    judge("PUT", answer(200), 0, ITEM, WHO, "coll")
    judge("PUT", answer(201, b"created"), 0, ITEM, WHO, "coll")


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (answer(200, b"<!DOCTYPE html><html>login</html>"), "HTML page"),
        (answer(200, b"  <script>location='x'</script>"), "HTML page"),
        (answer(200, b"please log in", "text/html; charset=utf-8"), "HTML page"),
        (answer(302), "redirected (302) to a login page"),
    ],
)
def test_login_pages_and_refusals_are_authentication_failures(
    response: requests.Response, words: str
) -> None:
    with pytest.raises(Permanent, match=re.escape(words)) as caught:
        judge("PUT", response, 0, ITEM, WHO, "coll")
    assert caught.value.auth


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_ask_for_a_renewed_token_of_that_generation(status: int) -> None:
    # an expired token is answered either way (undocumented); if renewing does not help,
    # the refusal stands as a permission failure naming who needs access where
    with pytest.raises(Unauthorized) as caught:
        judge("PUT", answer(status), 7, ITEM, WHO, "coll")
    assert caught.value.generation == 7 and caught.value.status == status
    final = caught.value.final
    assert final.auth and final.status == status
    assert f"permission denied ({status}): {WHO} needs write access to /r/" in str(final)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    with pytest.raises(Retryable) as caught:
        judge("PUT", answer(status), 0, ITEM, WHO, "coll")
    assert caught.value.status == status


def test_a_gcs_backend_fault_404_is_transient_a_plain_404_is_not() -> None:
    body = b'{"code": "ENDPOINT_ERROR", "message": "GCS Manager Internal Error"}'
    with pytest.raises(Retryable):
        judge("PUT", answer(404, body), 0, ITEM, WHO, "coll")
    with pytest.raises(Permanent, match=r"the folder /r/ is missing or /r/a\.whl is a folder"):
        judge("PUT", answer(404, b"Not Found"), 0, ITEM, WHO, "coll")


def test_anything_else_is_final_and_keeps_its_status() -> None:
    with pytest.raises(Permanent, match="answered 418") as caught:
        judge("PUT", answer(418), 0, ITEM, WHO, "coll")
    assert caught.value.status == 418 and not caught.value.auth
