"""``globusput logout``: revoke every stored token and delete the store; removing the file
is logging out."""

from __future__ import annotations

import globus_sdk

from globusput.person import mask_tokens, token_file, user_app
from globusput.report import Reporter
from globusput.settings import Settings


def run(settings: Settings, reporter: Reporter) -> None:
    path = token_file(settings.native_client_id)
    if not path.exists():
        reporter.info("not logged in")
        return
    app = user_app(settings, reporter)
    mask_tokens(app, reporter)
    try:
        app.logout(sweep=True)
    except (globus_sdk.GlobusAPIError, globus_sdk.NetworkError) as exc:
        reporter.warn(
            f"could not revoke every token ({type(exc).__name__}); deleting them here anyway"
        )
    path.unlink(missing_ok=True)
    reporter.info(f"logged out; removed {path}")
