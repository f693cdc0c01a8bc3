"""Every exception of globusput, and the exit codes they end in.

Every failure a user can fix is a :class:`GlobusputError` whose message says what was wrong and
how to fix it. Only :func:`globusput.cli.main` catches them, prints the message and turns
``exit_code`` into the process status, so no other module decides how the program ends.

Below them, the verdicts on one attempt at one file (:class:`Retryable`, :class:`Permanent`,
...): they never leave the run of files, where each becomes that file's outcome.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import globus_sdk
    import requests

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class GlobusputError(Exception):
    """Base class: a problem the user can act on; never carries a secret."""

    exit_code = EXIT_FAILED


class ConfigError(GlobusputError):
    """Invalid input or configuration, found before anything is uploaded."""

    exit_code = EXIT_USAGE


class SettingsError(ConfigError):
    """Several settings are invalid at once; each problem is one line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class SelectionError(ConfigError):
    """The patterns select nothing usable (no match, collisions, special files...)."""


class DestinationError(ConfigError):
    """The destination cannot be used as given."""


class AuthError(GlobusputError):
    """Globus refused our credentials or the identity lacks permission."""

    exit_code = EXIT_AUTH


class UnknownScope(AuthError):
    """Globus Auth does not know a scope asked for (raised to the caller that can explain)."""


class CollectionError(GlobusputError):
    """The collection cannot take HTTPS uploads (unknown, HTTPS disabled...)."""

    exit_code = EXIT_USAGE


class ServiceError(GlobusputError):
    """A Globus service failed in a way retries did not cure."""


class FilesFailed(GlobusputError):
    """Some files failed, the others were still attempted; ``auth`` when any was refused
    access (exit code 3: what to fix is a permission, not the files)."""

    def __init__(self, message: str, auth: bool = False) -> None:
        super().__init__(message)
        self.exit_code = EXIT_AUTH if auth else EXIT_FAILED


class UploadFailed(FilesFailed):
    """Some files were not uploaded."""


class FetchFailed(FilesFailed):
    """Some files were not fetched."""


class VerifyFailed(FilesFailed):
    """The collection does not hold a manifest's files as recorded."""


class NotPublished(GlobusputError):
    """A whole-folder run sent its files but published nothing: another run took the staging
    folder over or published the destination meanwhile, or the rename failed (exit code 1:
    this run's work did not land). Raised after the run is reported, never mistaken for a
    failure before the first file."""


class Interrupted(GlobusputError):
    """The run was stopped by a signal; what finished is reported."""

    def __init__(self, signum: int) -> None:
        name = signal.Signals(signum).name
        super().__init__(f"interrupted by {name}: stopped early, see the summary for what was done")
        self.exit_code = 128 + signum


# -- one attempt at one file ----------------------------------------------------------------


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


class Mismatch(Permanent):
    """The bytes arrived, but they are not the file a manifest describes."""


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


class Restart(Exception):
    """A download's parts do not fit together (another range came, or none fitted): start
    the copy again from its first byte."""


class Cancelled(Exception):
    """The run is being stopped (SIGINT/SIGTERM); raised out of the body reader."""


class FileChanged(Exception):
    """The local file changed size while it was being sent."""


class PlacementFailed(Exception):
    """Moving a finished upload into place failed; the message says why."""

    def __init__(self, reason: str, auth: bool = False) -> None:
        super().__init__(reason)
        self.auth = auth


class FolderPending(Exception):
    """The file's folder has to be made first: try the file again once it is.

    Raised instead of waiting, so that a worker moves on to files whose folders exist while
    Transfer (far away) makes this one.
    """

    def __init__(self, folder: str, failure: Exception | None = None) -> None:
        super().__init__(folder)
        self.folder = folder
        #: the PUT's own failure, final unless the folder really was missing
        self.failure = failure if isinstance(failure, Permanent) else None


def file_in_the_way(folder: str) -> Permanent:
    return Permanent(
        f"{folder} on the collection is a file, not a folder: choose another destination, "
        "or remove that file"
    )


# -- Auth and Transfer refusals that need a person to act -----------------------------------


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


def session_error(
    params: Any, collection_id: str, identity: str, person: bool = False
) -> AuthError:
    """The collection's session policy (authorization parameters) in words: which login,
    and who can give it (a person, by logging in again; never a confidential client)."""
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
    if person:
        how = (
            f"run 'globusput login {collection_id}' at a terminal (it logs in again asking "
            "for exactly that), then rerun"
        )
    else:
        how = (
            "a confidential client has no login session to show it: ask the collection's "
            f"administrator to exempt {identity} from the policy, or use a collection without "
            "one (a guest collection shared with it)"
        )
    return AuthError(f"collection {collection_id} requires a login session with {need}: {how}")
