"""``globusput whoami``: the Globus identity the stored tokens belong to."""

from __future__ import annotations

import globus_sdk

from globusput.errors import AuthError, ServiceError, login_again
from globusput.person import AUTH_RS, user_app
from globusput.report import Reporter
from globusput.settings import Settings


def run(settings: Settings, reporter: Reporter) -> None:
    app = user_app(settings, reporter)
    if app.login_required():
        raise AuthError("not logged in: run 'globusput login'")
    try:
        info = globus_sdk.AuthClient(authorizer=app.get_authorizer(AUTH_RS)).userinfo()
    except globus_sdk.AuthAPIError as exc:
        raise login_again(exc, "your account") from None
    except globus_sdk.NetworkError as exc:
        raise ServiceError(f"cannot reach Globus Auth: {exc}") from None
    username = info.get("preferred_username")
    if not username:
        # a login from before globusput asked for 'profile': only the id was shared
        username = "(username not shared: run 'globusput login' again to show it)"
    reporter.info(f"{username} ({info['sub']})")
