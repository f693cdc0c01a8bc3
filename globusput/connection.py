"""Reaching the collection: credentials, the collection's document, a token for its HTTPS
server and the trust its TLS gets; and the local files a run will write, checked first.
Shared by every command that talks to a collection (upload, get, verify).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import urllib3
from globus_sdk.config import get_ssl_verify

from globusput.auth import ClientCredentials, Credentials, DataAuthorizer
from globusput.collection import Collection
from globusput.early import take_early
from globusput.errors import ConfigError
from globusput.pacing import TransferPacing
from globusput.person import PersonLogin
from globusput.progress import make_progress
from globusput.remote import CollectionInfo
from globusput.report import Reporter, check_writable
from globusput.session import make_session
from globusput.settings import Settings

_HALF_CREDENTIALS = (
    "GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET go together: set both (a Globus confidential "
    "client), or neither to log in as yourself"
)


def check_credential_pair(settings: Settings) -> None:
    if (settings.client_id is None) != (settings.client_secret is None):
        raise ConfigError(_HALF_CREDENTIALS)


@contextlib.contextmanager
def connect(
    settings: Settings, reporter: Reporter, ahead: str | None = None
) -> Iterator[tuple[Collection, CollectionInfo, DataAuthorizer]]:
    """The collection as Transfer describes it and a token for its HTTPS server, by client
    credentials or a person's login; the Transfer requests made are logged at the end.
    ``ahead``: a path the run will want Transfer's stat of, asked for meanwhile."""
    assert settings.collection_id is not None
    check_credential_pair(settings)
    pacing = TransferPacing(log=reporter.debug)
    credentials: Credentials
    if settings.has_client_credentials:
        assert settings.client_id is not None and settings.client_secret is not None
        secret = settings.client_secret.get_secret_value()
        early = take_early(str(settings.client_id), secret, str(settings.collection_id))
        credentials = ClientCredentials(settings, reporter.add_secret, reporter.debug, early)
    else:
        credentials = PersonLogin(settings, reporter)
    try:
        transfer = credentials.transfer_client(pacing)
        collection = Collection(
            transfer,
            settings.collection_id,
            credentials.identity,
            reporter.warn,
            credentials.consent,
            credentials.session,
        )
        if ahead is not None:
            collection.stat_ahead(ahead)
        info = collection.info()
        data = credentials.for_collection(info)
        reporter.debug(f"collection {info.display_name} ({info.entity_type}) at {info.base_url}")
        yield collection, info, data
    finally:
        reporter.debug(pacing.describe())


def check_outputs(settings: Settings, reporter: Reporter) -> None:
    """Every file the run will write is writable: found now, not after the uploads."""
    targets = {"manifest (--manifest)": settings.manifest} if settings.manifest else {}
    targets.update({name: Path(path) for name, path in reporter.ci.files().items()})
    problems = [check_writable(path, what) for what, path in targets.items()]
    if any(problems):
        raise ConfigError("; ".join(p for p in problems if p))


def data_tls_verify(settings: Settings, reporter: Reporter) -> bool | str:
    """The SDK's trust (GLOBUS_SDK_VERIFY_SSL) for data too; never off without a loud flag."""
    try:
        verify = get_ssl_verify()
    except ValueError as exc:
        raise ConfigError(f"GLOBUS_SDK_VERIFY_SSL: {exc}") from None
    if verify is False:
        if not settings.insecure_skip_tls_verify:
            raise ConfigError(
                "GLOBUS_SDK_VERIFY_SSL turns TLS verification off, which would let anyone "
                "between here and the collection take the token: point it at a CA bundle "
                "instead, or set GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY=true if you accept that"
            )
        reporter.warn("TLS VERIFICATION IS OFF for uploads: the token can be intercepted")
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return verify


def channel_options(
    settings: Settings,
    reporter: Reporter,
    collection: Collection,
    data: DataAuthorizer,
    tls: bool | str,
    sizes: tuple[int, int],
) -> dict[str, Any]:
    """What an Uploader or Downloader is made with (see :class:`~globusput.channel.Channel`),
    for a run of ``sizes`` (bytes, files); the progress display starts here."""
    reporter.progress = make_progress(settings.quiet, *sizes, reporter.out)
    return {
        "session": make_session(settings.concurrency, reporter.debug),
        "authorizer": data,
        "identity": collection.identity,
        "collection_id": collection.id,
        "verify_tls": tls,
        "retries": settings.retries,
        "backoff": settings.retry_backoff,
        "timeout": settings.timeout,
        "cancel": threading.Event(),
        "debug": reporter.debug,
        "progress": reporter.progress,
    }
