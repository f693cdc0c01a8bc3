"""Globus login for a person at a terminal: a Native App with stored, refreshed tokens.

The SDK's ``UserApp`` does the OAuth2 work (PKCE, refresh, id_token validation, consents);
this module decides *how* a person logs in (browser, or pasting a code), refuses to wait for
a login that nobody can complete (no terminal: CI without credentials), and keeps the
collection scopes of every collection used in one token store, as the original script did.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import globus_sdk
from globus_sdk.gare import GlobusAuthorizationParameters
from globus_sdk.login_flows import (
    CommandLineLoginFlowManager,
    LocalServerLoginFlowManager,
    LoginFlowManager,
)
from globus_sdk.login_flows.local_server_login_flow_manager import (
    LocalServerEnvironmentalLoginError,
)
from globus_sdk.token_storage import JSONTokenStorage

from globusput.auth import (
    TRANSFER_RESOURCE_SERVER,
    DataAuthorizer,
    collection_requirements,
    transfer_scope,
)
from globusput.errors import AuthError, ConfigError, ServiceError, consent_error, session_error
from globusput.settings import group_or_world_readable

if TYPE_CHECKING:
    from globus_sdk.globus_app import GlobusAppConfig

    from globusput.pacing import TransferPacing
    from globusput.remote import CollectionInfo
    from globusput.report import Reporter
    from globusput.settings import Settings

APP_NAME = "globusput"
AUTH_RS = "auth.globus.org"
#: ``profile`` makes userinfo carry the username; ``openid`` alone gives only the id.
PROFILE = "profile"
#: Variables by which CI systems make themselves known; Jenkins, for one, sets no ``CI``.
CI_MARKERS = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "JENKINS_URL",
    "JENKINS_HOME",
    "BUILD_ID",
    "BUILD_NUMBER",
    "TF_BUILD",
    "BUILDKITE",
    "CIRCLECI",
    "TEAMCITY_VERSION",
    "bamboo_buildKey",
    "DRONE",
    "WOODPECKER_CI",
)
NO_TERMINAL = (
    "no client credentials, and no terminal to log in from (a CI job?): set GLOBUS_CLIENT_ID "
    "and GLOBUS_CLIENT_SECRET (a Globus confidential client), or pass -c FILE"
)


def token_file(native_client_id: object) -> Path:
    """Where tokens are kept: the SDK's default JSON store for this app (mode 0600)."""
    return Path.home() / ".globus" / "app" / str(native_client_id) / APP_NAME / "tokens.json"


def can_prompt(no_browser: bool) -> bool:
    """A login can only finish if someone can answer it."""
    if sys.stdin.isatty():
        return True
    # a code may be piped in on purpose, but never in CI, where nobody will
    return no_browser and not in_ci()


def in_ci() -> bool:
    """Whether a CI system runs us: any of their marker variables set to something true."""
    for name in CI_MARKERS:
        value = os.environ.get(name, "").strip().lower()
        if value and value not in ("0", "false", "no"):
            return True
    return False


def _no_answer(exc: BaseException) -> AuthError:
    """Ctrl-C is someone cancelling; the end of standard input is nobody answering."""
    if isinstance(exc, KeyboardInterrupt):
        return AuthError("login cancelled")
    return AuthError(
        "login not finished: standard input ended before a code was entered; run at a "
        "terminal, or set GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET"
    )


class _LoginFlow:
    """Browser flow (local redirect server) by default, pasted code with --no-browser or
    when no browser can be opened (SSH sessions, text-only browsers)."""

    def __init__(self, no_browser: bool, reporter: Reporter) -> None:
        self.no_browser = no_browser
        self.reporter = reporter

    def for_globus_app(
        self, *, app_name: str, config: GlobusAppConfig, login_client: globus_sdk.AuthLoginClient
    ) -> globus_sdk.login_flows.LoginFlowManager:
        paste = CommandLineLoginFlowManager.for_globus_app(app_name, login_client, config)
        browser = LocalServerLoginFlowManager.for_globus_app(app_name, login_client, config)
        no_browser, warn = self.no_browser, self.reporter.warn

        class Flow(LoginFlowManager):
            def run_login_flow(
                self, auth_parameters: globus_sdk.gare.GlobusAuthorizationParameters
            ) -> globus_sdk.OAuthTokenResponse:
                if not can_prompt(no_browser):
                    raise ConfigError(NO_TERMINAL)
                if not no_browser:
                    try:
                        return browser.run_login_flow(auth_parameters)
                    except LocalServerEnvironmentalLoginError as exc:
                        warn(f"{exc}; log in by pasting a code instead (-n/--no-browser)")
                return paste.run_login_flow(auth_parameters)

        return Flow(login_client, request_refresh_tokens=True)


def user_app(settings: Settings, reporter: Reporter) -> globus_sdk.UserApp:
    path = token_file(settings.native_client_id)
    if group_or_world_readable(path):
        reporter.warn(f"{path} holds your Globus tokens and is readable by others: chmod 600 it")
    config = globus_sdk.GlobusAppConfig(
        login_flow_manager=_LoginFlow(settings.no_browser, reporter),  # type: ignore[arg-type]
        token_storage=JSONTokenStorage(path),
        request_refresh_tokens=True,
    )
    return globus_sdk.UserApp(APP_NAME, client_id=str(settings.native_client_id), config=config)


def login(
    app: globus_sdk.UserApp,
    settings: Settings,
    reporter: Reporter,
    why: str,
    scopes: list[str] | None = None,
    session: dict[str, Any] | None = None,
) -> None:
    """Run the login flow when stored tokens cannot serve the current requirements, for
    ``scopes`` that a service asked for (consent the stored tokens cannot show), or for a
    ``session`` policy's parameters: then with ``prompt=login``, so Globus Auth makes a new
    session instead of reusing the browser's (globus-sdk's user guide, "handling transfer
    auth params")."""
    try:
        if not scopes and not session and not app.login_required():
            return
        if not can_prompt(settings.no_browser):
            raise ConfigError(NO_TERMINAL)
        reporter.info(f"Logging in to Globus {why}")
        params = dict(session or {}, prompt="login") if session else {}
        app.login(
            auth_params=GlobusAuthorizationParameters(required_scopes=scopes or None, **params)
        )
    except globus_sdk.AuthAPIError as exc:
        message = f"Globus Auth refused the login: {exc.http_status} {exc.text[:200]}"
        raise AuthError(message) from None
    except globus_sdk.NetworkError as exc:
        raise ServiceError(f"cannot reach Globus Auth: {exc}") from None
    except (EOFError, KeyboardInterrupt) as exc:
        raise _no_answer(exc) from None
    token_file(settings.native_client_id).chmod(0o600)


class PersonLogin:
    """A person's Native App login: stored tokens, a login only when they cannot serve.

    The first login of all (nothing stored) cannot know the collection's type and asks for a
    guest collection's scopes; a mapped collection then takes one more login. Later runs read
    the collection with the stored Transfer token first, so any login asks for everything the
    collection needs at once.
    """

    def __init__(self, settings: Settings, reporter: Reporter) -> None:
        assert settings.collection_id is not None
        self.settings, self.reporter = settings, reporter
        self.collection = str(settings.collection_id)
        if (
            not can_prompt(settings.no_browser)
            and not token_file(settings.native_client_id).is_file()
        ):
            # said before the token store exists: nothing is made in HOME (which a CI
            # container may not even let us write) for a login that cannot happen
            raise ConfigError(NO_TERMINAL)
        self.app = user_app(settings, reporter)
        self.identity = "your Globus identity"
        self.app.add_scope_requirements(
            {TRANSFER_RESOURCE_SERVER: [transfer_scope(self.collection, False)]}
        )
        if self.app.login_required():
            # first use: a guest collection's scopes in the same login, the common case
            self.app.add_scope_requirements(collection_requirements(self.collection, False))
        login(self.app, settings, reporter, f"for collection {self.collection}")
        self.identity = f"your Globus identity ({self.app.token_storage.identity_id})"
        self._mask()

    def transfer_client(self, pacing: TransferPacing) -> globus_sdk.TransferClient:
        # the client asks the app for its authorizer at each call: later logins count at once
        return pacing.client(app=self.app)

    def for_collection(self, info: CollectionInfo) -> DataAuthorizer:
        needs = info.needs_data_access
        self.app.add_scope_requirements(collection_requirements(self.collection, needs))
        why = "to consent to data access on" if needs else "for"
        login(self.app, self.settings, self.reporter, f"{why} collection {self.collection}")
        self._mask()
        return DataAuthorizer(lambda: self.app.get_authorizer(self.collection))

    def session(self, params: Any) -> None:
        """Log in again to meet the collection's session policy; where nobody can, keep the
        policy for ``globusput login`` and say so."""
        wanted = session_parameters(params)
        if not can_prompt(self.settings.no_browser):
            remember_session(self.settings, self.collection, wanted)
            raise session_error(params, self.collection, self.identity, person=True)
        why = f"again: collection {self.collection} requires a new login session"
        login(self.app, self.settings, self.reporter, why, session=wanted)
        self._mask()

    def consent(self, required_scopes: list[str]) -> None:
        if not can_prompt(self.settings.no_browser):
            raise consent_error(self.collection, required_scopes, self.identity, person=True)
        why = f"to consent to {' '.join(required_scopes)}"
        login(self.app, self.settings, self.reporter, why, required_scopes)
        self._mask()

    def _mask(self) -> None:
        mask_tokens(self.app, self.reporter)


#: The authorization parameters a session policy is met with.
SESSION_KEYS = (
    "session_required_single_domain",
    "session_required_identities",
    "session_required_policies",
    "session_required_mfa",
)


def session_parameters(params: Any) -> dict[str, Any]:
    """The parameters of a Transfer answer's ``authorization_parameters`` that a login
    passes on (only those set)."""
    return {key: getattr(params, key) for key in SESSION_KEYS if getattr(params, key, None)}


def remembered_session(settings: Settings) -> Path:
    """Where the last session policy a run could not meet waits for ``globusput login``."""
    return token_file(settings.native_client_id).with_name("session-required.json")


def remember_session(settings: Settings, collection: str, wanted: dict[str, Any]) -> None:
    path = remembered_session(settings)
    if path.parent.is_dir():  # a person who has logged in here before: keep it for them
        path.write_text(json.dumps({"collection": collection, **wanted}))


def mask_tokens(app: globus_sdk.UserApp, reporter: Reporter) -> None:
    """Every stored token is a secret for the log, from the moment it is held."""
    for data in app.token_storage.get_token_data_by_resource_server().values():
        reporter.add_secret(data.access_token)
        reporter.add_secret(data.refresh_token)
