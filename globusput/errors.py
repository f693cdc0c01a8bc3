"""The exception hierarchy.

Every failure a user can fix is a :class:`GlobusputError` whose message says what was wrong and
how to fix it. Only :func:`globusput.cli.main` catches them, prints the message and turns
``exit_code`` into the process status, so no other module decides how the program ends.
"""

from __future__ import annotations

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


class Interrupted(GlobusputError):
    """The run was stopped by a signal; what finished is reported."""

    def __init__(self, signum: int) -> None:
        import signal

        name = signal.Signals(signum).name
        super().__init__(f"interrupted by {name}: stopped early, see the summary for what was done")
        self.exit_code = 128 + signum
