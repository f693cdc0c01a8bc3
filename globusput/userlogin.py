"""Globus login for a person at a terminal: a Native App with stored, refreshed tokens.

The SDK's ``UserApp`` does the OAuth2 work (PKCE, refresh, id_token validation, consents);
this module decides *how* a person logs in (browser, or pasting a code), refuses to wait for
a login that nobody can complete (no terminal: CI without credentials), and keeps the
collection scopes of every collection used in one token store, as the original script did.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from globusput.errors import AuthError, ConfigError, ServiceError

if TYPE_CHECKING:
    import globus_sdk
    from globus_sdk.globus_app import GlobusAppConfig

    from globusput.auth import Authorizers
    from globusput.pacing import TransferPacing
    from globusput.report import Reporter
    from globusput.settings import Settings

APP_NAME = "globusput"
TRANSFER_RS = "transfer.api.globus.org"
AUTH_RS = "auth.globus.org"
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
    return no_browser and os.environ.get("CI", "").lower() not in ("1", "true", "yes")


class _LoginFlow:
    """Browser flow (local redirect server) by default, pasted code with --no-browser or
    when no browser can be opened (SSH sessions, text-only browsers)."""

    def __init__(self, no_browser: bool, reporter: Reporter) -> None:
        self.no_browser = no_browser
        self.reporter = reporter

    def for_globus_app(
        self, *, app_name: str, config: GlobusAppConfig, login_client: globus_sdk.AuthLoginClient
    ) -> globus_sdk.login_flows.LoginFlowManager:
        from globus_sdk.login_flows import (
            CommandLineLoginFlowManager,
            LocalServerLoginFlowManager,
            LoginFlowManager,
        )
        from globus_sdk.login_flows.local_server_login_flow_manager import (
            LocalServerEnvironmentalLoginError,
        )

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
    import globus_sdk
    from globus_sdk.token_storage import JSONTokenStorage

    from globusput.settings import group_or_world_readable

    path = token_file(settings.native_client_id)
    if group_or_world_readable(path):
        reporter.warn(f"{path} holds your Globus tokens and is readable by others: chmod 600 it")
    config = globus_sdk.GlobusAppConfig(
        login_flow_manager=_LoginFlow(settings.no_browser, reporter),  # type: ignore[arg-type]
        token_storage=JSONTokenStorage(path),
        request_refresh_tokens=True,
    )
    return globus_sdk.UserApp(APP_NAME, client_id=str(settings.native_client_id), config=config)


def login(app: globus_sdk.UserApp, settings: Settings, reporter: Reporter, why: str) -> None:
    """Run the login flow only when stored tokens cannot serve the current requirements."""
    import globus_sdk

    try:
        if not app.login_required():
            return
        if not can_prompt(settings.no_browser):
            raise ConfigError(NO_TERMINAL)
        reporter.info(f"Logging in to Globus {why}")
        app.login()
    except globus_sdk.AuthAPIError as exc:
        message = f"Globus Auth refused the login: {exc.http_status} {exc.text[:200]}"
        raise AuthError(message) from None
    except globus_sdk.NetworkError as exc:
        raise ServiceError(f"cannot reach Globus Auth: {exc}") from None
    except (EOFError, KeyboardInterrupt):
        raise AuthError("login cancelled") from None
    token_file(settings.native_client_id).chmod(0o600)


def native_app_authorizers(
    settings: Settings, reporter: Reporter, pacing: TransferPacing
) -> Authorizers:
    """Tokens for Transfer and the collection, logging in (or adding consent) if needed."""
    import globus_sdk
    from globus_sdk.scopes import GCSCollectionScopes, Scope, TransferScopes

    from globusput.auth import Authorizers, DataAuthorizer

    assert settings.collection_id is not None
    collection = str(settings.collection_id)
    scopes = GCSCollectionScopes(collection)
    app = user_app(settings, reporter)
    transfer = pacing.client(app=app)
    data_access = Scope(TransferScopes.all.scope_string).with_dependency(scopes.data_access)

    def mapped() -> bool | None:
        """Whether the collection wants data_access consent; None if it cannot be read."""
        try:
            return _needs_data_access(transfer.get_endpoint(collection).data)
        except globus_sdk.GlobusAPIError:
            return None  # the collection look-up that follows reports it, with advice

    # with a usable Transfer token, learn what the collection needs first: one login at most
    app.add_scope_requirements({TRANSFER_RS: [TransferScopes.all]})
    needs = None if app.login_required() else mapped()
    transfer_scope = data_access if needs else TransferScopes.all
    app.add_scope_requirements({TRANSFER_RS: [transfer_scope], collection: [scopes.https]})
    login(app, settings, reporter, f"for collection {collection}")
    if needs is None and mapped():
        # first use, and a mapped collection: Transfer needs consent to act on it for you
        app.add_scope_requirements({TRANSFER_RS: [data_access]})
        login(app, settings, reporter, f"to consent to data access on collection {collection}")
    storage = app.token_storage
    tokens: list[str] = []
    for data in storage.get_token_data_by_resource_server().values():
        tokens += [t for t in (data.access_token, data.refresh_token) if t]
    return Authorizers(
        transfer=app.get_authorizer(TRANSFER_RS),
        data=DataAuthorizer(app.get_authorizer(collection)),
        identity=f"your Globus identity ({storage.identity_id})",
        tokens=tokens,
    )


def _needs_data_access(doc: dict[str, Any]) -> bool:
    return doc.get("entity_type") == "GCSv5_mapped_collection" and not doc.get("high_assurance")


# -- the account commands ------------------------------------------------------------------


def login_command(settings: Settings, reporter: Reporter, collections: list[str]) -> None:
    """``globusput login [COLLECTION_ID...]``: log in now, consenting for those collections."""
    from globus_sdk.scopes import GCSCollectionScopes, TransferScopes

    app = user_app(settings, reporter)
    requirements: dict[str, Any] = {TRANSFER_RS: [TransferScopes.all]}
    for collection in collections:
        requirements[collection] = [GCSCollectionScopes(collection).https]
    app.add_scope_requirements(requirements)
    path = token_file(settings.native_client_id)
    if not app.login_required():
        reporter.info(f"already logged in; tokens are stored in {path}")
        return
    login(app, settings, reporter, "")
    reporter.info(f"logged in; tokens are stored in {path}")


def whoami_command(settings: Settings, reporter: Reporter) -> None:
    import globus_sdk

    app = user_app(settings, reporter)
    if app.login_required():
        raise AuthError("not logged in: run 'globusput login'")
    try:
        info = globus_sdk.AuthClient(authorizer=app.get_authorizer(AUTH_RS)).userinfo()
    except globus_sdk.GlobusAPIError as exc:
        raise AuthError(
            f"Globus Auth refused the stored token ({exc.http_status}): run 'globusput login'"
        ) from None
    reporter.info(f"{info['preferred_username']} ({info['sub']})")


def logout_command(settings: Settings, reporter: Reporter) -> None:
    """Revoke every stored token and delete the store: removing the file is logging out."""
    import globus_sdk

    path = token_file(settings.native_client_id)
    if not path.exists():
        reporter.info("not logged in")
        return
    app = user_app(settings, reporter)
    for data in app.token_storage.get_token_data_by_resource_server().values():
        reporter.add_secret(data.access_token)
        reporter.add_secret(data.refresh_token)
    try:
        app.logout(sweep=True)
    except (globus_sdk.GlobusAPIError, globus_sdk.NetworkError) as exc:
        reporter.warn(
            f"could not revoke every token ({type(exc).__name__}); deleting them here anyway"
        )
    path.unlink(missing_ok=True)
    reporter.info(f"logged out; removed {path}")
