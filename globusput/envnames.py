"""The public names of every setting: environment variable and CLI flag.

Kept apart from the settings model so ``--help`` can name them without importing pydantic.
"""

from __future__ import annotations

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
    "mkdir": ("GLOBUSPUT_MKDIR", "--no-mkdir"),
    "verbose": ("GLOBUSPUT_VERBOSE", "-v/--verbose"),
    "quiet": ("GLOBUSPUT_QUIET", "-q/--quiet"),
    "no_browser": ("GLOBUSPUT_NO_BROWSER", "-n/--no-browser"),
    "native_client_id": ("GLOBUSPUT_NATIVE_CLIENT_ID", None),
    "insecure_skip_tls_verify": ("GLOBUSPUT_INSECURE_SKIP_TLS_VERIFY", None),
}
