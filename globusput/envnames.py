"""The public names of every setting: environment variable and CLI flag.

Kept apart from the settings model so ``--help`` can name them without importing pydantic.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

#: field name -> (environment variable, CLI flag); the single source for help and error texts.
NAMES: dict[str, tuple[str, str | None]] = {
    "command": ("GLOBUSPUT_COMMAND", "COMMAND"),
    "client_id": ("GLOBUS_CLIENT_ID", None),
    "client_secret": ("GLOBUS_CLIENT_SECRET", None),
    "client_config": ("GLOBUSPUT_CLIENT_CONFIG", "-c/--client-config"),
    "collection_id": ("GLOBUS_COLLECTION_ID", "COLLECTION_ID"),
    "destination": ("GLOBUSPUT_DESTINATION", "DESTINATION"),
    "paths": ("GLOBUSPUT_PATHS", "PATH"),
    "base_dir": ("GLOBUSPUT_BASE_DIR", "--base-dir"),
    "include_hidden": ("GLOBUSPUT_INCLUDE_HIDDEN", "--include-hidden"),
    "follow_external_symlinks": (
        "GLOBUSPUT_FOLLOW_EXTERNAL_SYMLINKS",
        "--follow-external-symlinks",
    ),
    "if_no_files_found": ("GLOBUSPUT_IF_NO_FILES_FOUND", "--if-no-files-found"),
    "concurrency": ("GLOBUSPUT_CONCURRENCY", "--concurrency"),
    "retries": ("GLOBUSPUT_RETRIES", "--retries"),
    "retry_backoff": ("GLOBUSPUT_RETRY_BACKOFF", "--retry-backoff"),
    "timeout": ("GLOBUSPUT_TIMEOUT", "--timeout"),
    "overwrite": ("GLOBUSPUT_OVERWRITE", "--overwrite"),
    "verify_size": ("GLOBUSPUT_VERIFY_SIZE", "--no-verify-size"),
    "atomic": ("GLOBUSPUT_ATOMIC", "--atomic/--no-atomic"),
    "atomic_threshold": ("GLOBUSPUT_ATOMIC_THRESHOLD", "--atomic-threshold"),
    "whole_folder": ("GLOBUSPUT_WHOLE_FOLDER", "--whole-folder"),
    "dry_run": ("GLOBUSPUT_DRY_RUN", "--dry-run"),
    "manifest": ("GLOBUSPUT_MANIFEST", "--manifest"),
    "from_manifest": ("GLOBUSPUT_FROM_MANIFEST", "--from-manifest"),
    "verify_hash": ("GLOBUSPUT_VERIFY_HASH", "--hash"),
    "keep": ("GLOBUSPUT_KEEP", "--keep"),
    "engine": ("GLOBUSPUT_ENGINE", "--engine"),
    "source_collection_id": ("GLOBUSPUT_SOURCE_COLLECTION_ID", "--source-collection"),
    "source_path": ("GLOBUSPUT_SOURCE_PATH", "--source-path"),
    "no_wait": ("GLOBUSPUT_NO_WAIT", "--no-wait"),
    "task_id": ("GLOBUSPUT_TASK_ID", "TASK_ID"),
    "task_deadline": ("GLOBUSPUT_TASK_DEADLINE", "--task-deadline"),
    "mkdir": ("GLOBUSPUT_MKDIR", "--no-mkdir"),
    "verbose": ("GLOBUSPUT_VERBOSE", "-v/--verbose"),
    "quiet": ("GLOBUSPUT_QUIET", "-q/--quiet"),
    "no_browser": ("GLOBUSPUT_NO_BROWSER", "-n/--no-browser"),
    "native_client_id": ("GLOBUSPUT_NATIVE_CLIENT_ID", None),
    "insecure_skip_tls_verify": ("GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY", None),
}

#: Variables of globusput's own test suite, read outside the settings.
TEST_ONLY = frozenset(
    {"GLOBUSPUT_TEST_BASE_IMAGE", "GLOBUSPUT_REQUIRE_NGINX", "GLOBUSPUT_REQUIRE_DOCKER"}
)
#: Settings whose misspelling stops a run: without them it would do something else, for real.
SAFETY = frozenset({"GLOBUSPUT_DRY_RUN"})


def misspelled(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Variables that look like globusput's settings but are none of them, each with the
    closest real name (None when nothing is close): an unknown ``GLOBUSPUT_*`` (in any
    case), or a near miss of a ``GLOBUS_*`` credential. Names are case-sensitive, and a
    setting read under no name is silently its default: a typo must be said."""
    known = {env for env, _ in NAMES.values()}
    found = []
    for name in sorted(environ):
        if name in known or name in TEST_ONLY:
            continue
        upper = name.upper()
        if not upper.startswith("GLOBUS") or upper.startswith("GLOBUS_SDK_"):
            continue  # other programs' variables: no comparing with each of ours
        near = difflib.get_close_matches(upper, known, n=1, cutoff=0.85)
        if upper.startswith("GLOBUSPUT_"):
            found.append((name, near[0] if near else _closest_setting(upper)))
        elif upper.startswith("GLOBUS_") and near:
            found.append((name, near[0]))
    return found


def _closest_setting(name: str) -> str | None:
    """Compared without the shared prefix, which would make every name look close."""
    own = {env[len("GLOBUSPUT_") :]: env for env, _ in NAMES.values() if "PUT_" in env}
    close = difflib.get_close_matches(name[len("GLOBUSPUT_") :], own, n=1, cutoff=0.6)
    return own[close[0]] if close else None
