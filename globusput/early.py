"""A run's first token, asked for while the settings load.

Loading pydantic and validating the settings take about as long as Globus Auth takes to answer
a token request (0.15 to 0.3 s each), and a one-file upload (or ``get``) is little more than
those two and three short requests. So when an upload, ``get`` or ``verify`` names its client
plainly (``GLOBUS_CLIENT_ID`` and ``GLOBUS_CLIENT_SECRET``, the collection on the command line
or in ``GLOBUS_COLLECTION_ID``), the grant it would ask for first is asked for at once, on a
thread of its own. The run takes the answer only if the validated settings name the same
client, secret and collection; else it asks again, and the early token is never used.

The request carries the client's own id and secret to the service that issued them, and is the
only one that can go before the settings are checked: nothing reaches Transfer or the
collection until they are. It is not sent where a check guards the secret, or the promise
that nothing at all is sent: TLS verification turned off, a URL destination (its host is
checked first), a misspelled safety switch, a client-config file (the file names the client).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import globus_sdk
from globus_sdk.config import get_ssl_verify

from globusput.auth import auth_client, first_scopes
from globusput.envnames import NAMES, SAFETY

#: the grant under way, until the run takes or drops it
_pending: list[EarlyGrant] = []


def plain_client(
    values: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[str, str, str] | None:
    """Client id, secret and collection as the settings will read them (a command-line value,
    else its variable; an empty variable is unset), when nothing else decides them and no
    check guards the destination's host; None otherwise."""

    def given(field: str) -> str:
        value = values.get(field)
        return str(environ.get(NAMES[field][0], "") if value is None else value).strip()

    if given("client_config") or "://" in given("destination"):
        return None
    try:
        client_id, collection = (str(uuid.UUID(given(f))) for f in ("client_id", "collection_id"))
    except ValueError:
        return None
    secret = given("client_secret")
    return (client_id, secret, collection) if secret else None


def ask_early(
    values: Mapping[str, Any],
    environ: Mapping[str, str],
    misspelled: Sequence[tuple[str, str | None]],
) -> None:
    """Start the first grant now when the run's client is plain and nothing forbids it."""
    plain = plain_client(values, environ)
    if plain is None or any(closest in SAFETY for _, closest in misspelled):
        return
    try:
        if get_ssl_verify() is False:
            return  # refused with the settings, unless loudly allowed: no secret goes first
        _pending[:] = [EarlyGrant(*plain)]
    except ValueError:
        return  # GLOBUS_SDK_VERIFY_SSL or _ENVIRONMENT unreadable: the run meets it later


def take_early(client_id: str, secret: str, collection: str) -> EarlyGrant | None:
    """The grant under way, if it was asked for exactly these; dropped either way."""
    grant = _pending.pop() if _pending else None
    return grant if grant is not None and grant.key == (client_id, secret, collection) else None


class EarlyGrant:
    """One client-credentials request on its own thread; its answer, or the exception it
    raised, is handed over where the run would have made the request itself."""

    def __init__(self, client_id: str, secret: str, collection: str) -> None:
        self.key = (client_id, secret, collection)
        self.scopes = first_scopes(collection)
        self._lines: list[str] = []
        self._log: Callable[[str], None] = self._lines.append  # until the run's log is known
        self.client = auth_client(client_id, secret, lambda line: self._log(line))
        self._done = threading.Event()
        self._answer: globus_sdk.OAuthClientCredentialsResponse | None = None
        self._error: Exception | None = None
        threading.Thread(target=self._ask, name="globusput-early-grant", daemon=True).start()

    def _ask(self) -> None:
        try:
            self._answer = self.client.oauth2_client_credentials_tokens(self.scopes)
        except Exception as exc:  # raised where the run takes the answer
            self._error = exc
        finally:
            self._done.set()

    def response(self, log: Callable[[str], None]) -> globus_sdk.OAuthClientCredentialsResponse:
        """The answer, waited for; the client's requests go to ``log`` from now on."""
        self._done.wait()
        for line in self._lines:
            log(line)
        self._log = log
        if self._error is not None:
            raise self._error
        assert self._answer is not None
        return self._answer
