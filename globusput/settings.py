"""One settings model for every way globusput is driven.

CLI options, environment variables (plain, or mapped from GitHub Action inputs by ``action.yml``)
and defaults are layered here and validated together, so every entry point sees the same rules
and a user sees every mistake in one run instead of one per run.
"""

# no `from __future__ import annotations`: pydantic would compile each field's annotation
# from its string at every start

import json
import stat
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    ByteSize,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from globusput.envnames import NAMES
from globusput.errors import SettingsError

#: The native client registered by the original one-file upload script.
DEFAULT_NATIVE_CLIENT_ID = "fe8e6f96-8254-4554-b4f6-0ba17e526669"


def _env(field: str) -> str:
    """The documented environment variable is the only name a value is read under."""
    return NAMES[field][0]


class Settings(BaseSettings):
    """Everything one run needs; CLI values are passed as keyword arguments and beat the env."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True,  # GitHub passes unset action inputs as empty strings
        extra="ignore",
        case_sensitive=True,
    )

    #: what the run does: upload PATHs to DESTINATION, get remote PATHs into the local
    #: folder DESTINATION, verify that the collection holds a manifest's files, delete
    #: remote PATHs, or prune the remote folder PATHS to its newest ``keep`` entries
    command: Literal["upload", "get", "verify", "delete", "prune", "wait"] = Field(
        "upload", validation_alias=_env("command")
    )
    client_id: uuid.UUID | None = Field(None, validation_alias=_env("client_id"))
    client_secret: SecretStr | None = Field(None, validation_alias=_env("client_secret"))
    client_config: Path | None = Field(None, validation_alias=_env("client_config"))
    collection_id: uuid.UUID | None = Field(None, validation_alias=_env("collection_id"))
    destination: str | None = Field(None, validation_alias=_env("destination"))
    # a default, not default_factory=list: pydantic copies it per instance, and inspecting a
    # builtin factory's signature compiles the tokenizer's regexes (about 5 ms of every start)
    paths: Annotated[list[str], NoDecode] = Field([], validation_alias=_env("paths"))
    base_dir: Path | None = Field(None, validation_alias=_env("base_dir"))
    include_hidden: bool = Field(False, validation_alias=_env("include_hidden"))
    follow_external_symlinks: bool = Field(False, validation_alias=_env("follow_external_symlinks"))
    if_no_files_found: Literal["error", "warn", "ignore"] = Field(
        "error", validation_alias=_env("if_no_files_found")
    )
    concurrency: int = Field(4, ge=1, le=32, validation_alias=_env("concurrency"))
    retries: int = Field(5, ge=0, le=20, validation_alias=_env("retries"))
    retry_backoff: float = Field(0.5, ge=0, le=60, validation_alias=_env("retry_backoff"))
    timeout: float = Field(60.0, gt=0, le=3600, validation_alias=_env("timeout"))
    overwrite: Literal["always", "never", "changed"] = Field(
        "always", validation_alias=_env("overwrite")
    )
    verify_size: bool = Field(True, validation_alias=_env("verify_size"))
    #: None: temporary name + rename from atomic_threshold bytes on, where Transfer allows it
    atomic: bool | None = Field(None, validation_alias=_env("atomic"))
    atomic_threshold: ByteSize = Field(
        ByteSize(64 << 20), ge=0, validation_alias=_env("atomic_threshold")
    )
    whole_folder: bool = Field(False, validation_alias=_env("whole_folder"))
    dry_run: bool = Field(False, validation_alias=_env("dry_run"))
    manifest: Path | None = Field(None, validation_alias=_env("manifest"))
    from_manifest: Path | None = Field(None, validation_alias=_env("from_manifest"))
    verify_hash: bool = Field(False, validation_alias=_env("verify_hash"))
    mkdir: bool = Field(True, validation_alias=_env("mkdir"))
    keep: int | None = Field(None, ge=1, le=100_000, validation_alias=_env("keep"))
    #: seconds a Transfer task may take before Transfer ends it (6 hours, GitHub's job limit)
    task_deadline: float = Field(21600, ge=1, le=604800, validation_alias=_env("task_deadline"))
    #: how an upload moves its bytes: HTTPS from this runner, or a Transfer task from the
    #: source collection that sees the local files (auto: a task for large runs only)
    engine: Literal["auto", "https", "task"] = Field("auto", validation_alias=_env("engine"))
    source_collection_id: uuid.UUID | None = Field(
        None, validation_alias=_env("source_collection_id")
    )
    #: the source collection's path of the local base folder (--base-dir, or the working one)
    source_path: str | None = Field(None, validation_alias=_env("source_path"))
    no_wait: bool = Field(False, validation_alias=_env("no_wait"))
    task_id: uuid.UUID | None = Field(None, validation_alias=_env("task_id"))
    verbose: bool = Field(False, validation_alias=_env("verbose"))
    quiet: bool = Field(False, validation_alias=_env("quiet"))
    no_browser: bool = Field(False, validation_alias=_env("no_browser"))
    native_client_id: uuid.UUID = Field(
        uuid.UUID(DEFAULT_NATIVE_CLIENT_ID), validation_alias=_env("native_client_id")
    )
    insecure_skip_tls_verify: bool = Field(False, validation_alias=_env("insecure_skip_tls_verify"))

    @field_validator("paths", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        """One pattern per line; blank lines and ``#`` comments are for readability in YAML."""
        if isinstance(value, str):
            value = value.splitlines()
        if isinstance(value, (list, tuple)):
            lines = (str(v).strip() for v in value)
            return [line for line in lines if line and not line.startswith("#")]
        return value

    @field_validator("client_secret")
    @classmethod
    def _secret_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("is empty; set it to the client secret from Globus")
        # a pasted secret often brings a newline or spaces along: never part of a secret
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("mkdir")
    @classmethod
    def _whole_folder_makes_folders(cls, value: bool, info: ValidationInfo) -> bool:
        if not value and info.data.get("whole_folder"):
            raise ValueError(
                "cannot be false with GLOBUSPUT_WHOLE_FOLDER (--whole-folder), which makes a "
                "staging folder: drop one of the two"
            )
        return value

    @field_validator("destination")
    @classmethod
    def _destination_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty; give a folder such as /builds/ or a file path")
        return value

    @model_validator(mode="after")
    def _task_engine_fits(self) -> "Settings":
        """A Transfer task needs its source, and cannot do what only HTTPS uploads do."""
        problems = []
        if (self.source_collection_id is None) != (self.source_path is None):
            problems.append(
                "GLOBUSPUT_SOURCE_COLLECTION_ID and GLOBUSPUT_SOURCE_PATH go together: the "
                "collection that sees this runner's files, and its path of the base folder"
            )
        if self.source_path is not None and not self.source_path.startswith("/"):
            problems.append("GLOBUSPUT_SOURCE_PATH must be a path from the top, such as /scratch/")
        if self.engine == "task" and self.source_collection_id is None:
            problems.append("GLOBUSPUT_ENGINE=task needs GLOBUSPUT_SOURCE_COLLECTION_ID")
        if self.engine == "task" and (self.whole_folder or self.atomic or not self.mkdir):
            problems.append(
                "GLOBUSPUT_ENGINE=task writes in place and makes the folders it needs: drop "
                "--whole-folder, --atomic and --no-mkdir, or use --engine https"
            )
        if self.no_wait and self.engine != "task":
            problems.append("--no-wait leaves a Transfer task running: it needs --engine task")
        if problems:
            raise ValueError("\n".join(["", *problems]))  # each names its settings
        return self

    @model_validator(mode="after")
    def _read_client_config(self) -> "Settings":
        """A client-config file supplies the credentials and wins over GLOBUS_CLIENT_*."""
        if self.client_config is None:
            return self
        client_id, secret = read_client_config(self.client_config)
        self.client_id = client_id
        self.client_secret = SecretStr(secret)
        return self

    @property
    def has_client_credentials(self) -> bool:
        return self.client_id is not None and self.client_secret is not None

    def require_upload_target(self) -> None:
        """Patterns, destination and collection are needed for an upload, not for login."""
        missing = [
            name for name in ("paths", "destination", "collection_id") if not getattr(self, name)
        ]
        if missing:
            raise SettingsError([f"{_label(name)}: is required for an upload" for name in missing])

    def require_get_target(self) -> None:
        """Remote paths or a manifest, and the local folder; the collection may come from the
        manifest."""
        problems = []
        if not self.paths and self.from_manifest is None:
            problems.append(
                f"{_label('paths')}: give the files or folders to get, or {_label('from_manifest')}"
            )
        if self.paths and self.from_manifest is not None:
            problems.append(f"{_label('from_manifest')}: give remote paths or a manifest, not both")
        if not self.destination:
            problems.append(f"{_label('destination')}: is required for a get (the local folder)")
        if self.collection_id is None and self.from_manifest is None:
            problems.append(f"{_label('collection_id')}: is required for a get")
        if problems:
            raise SettingsError(problems)

    def require_removal_target(self) -> None:
        """``delete``: the paths and the collection; ``prune``: one folder and ``keep``."""
        problems = []
        if not self.paths:
            problems.append(
                f"{_label('paths')}: give the paths on the collection to {self.command}"
            )
        if self.command == "prune" and len(self.paths) > 1:
            problems.append(f"{_label('paths')}: prune takes one folder (got {len(self.paths)})")
        if self.command == "prune" and self.keep is None:
            problems.append(f"{_label('keep')}: is required for prune (how many entries stay)")
        if self.collection_id is None:
            problems.append(f"{_label('collection_id')}: is required to {self.command}")
        if problems:
            raise SettingsError(problems)

    def require_verify_target(self) -> None:
        if self.from_manifest is None:
            raise SettingsError([f"{_label('from_manifest')}: is required to verify"])


def read_client_config(path: Path) -> tuple[uuid.UUID, str]:
    """Load ``{"client_id": ..., "client_secret": ...}``, the original script's file format."""
    try:
        raw = path.read_text(encoding="utf-8-sig")  # editors on Windows may add a BOM
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValueError(
            f'{path} is not valid JSON; it must hold {{"client_id": "...", "client_secret": "..."}}'
        ) from None
    if not isinstance(data, dict) or not {"client_id", "client_secret"} <= data.keys():
        raise ValueError(f'{path} must hold the keys "client_id" and "client_secret"')
    for key in ("client_id", "client_secret"):
        if not isinstance(data[key], str):
            raise ValueError(f"{path}: {key} must be a string (in double quotes)")
    try:
        client_id = uuid.UUID(data["client_id"].strip())
    except ValueError:
        raise ValueError(f"{path}: client_id is not a UUID") from None
    secret = data["client_secret"].strip()
    if not secret:
        raise ValueError(f"{path}: client_secret is empty")
    return client_id, secret


def group_or_world_readable(path: Path) -> bool:
    """Secrets in files others can read deserve a warning (as ssh does for keys)."""
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False


def _label(field: str) -> str:
    env, flag = NAMES.get(field, (field.upper(), None))
    return f"{env} ({flag})" if flag else env


def load_settings(cli_values: dict[str, Any], problems: Sequence[str] = ()) -> Settings:
    """Layer CLI over environment over defaults; report every invalid value at once, with
    the ``problems`` found before (misspelled names)."""
    values = {NAMES[k][0]: v for k, v in cli_values.items() if v is not None}
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        problems = list(problems)
        for err in exc.errors(include_url=False):
            if not err["loc"] and "\n" in err["msg"]:  # a check across settings: named
                problems += [line for line in err["msg"].split("\n")[1:] if line]
                continue
            field = str(err["loc"][0]) if err["loc"] else "client_config"
            field = next((f for f, (e, _) in NAMES.items() if e == field), field)
            message = err["msg"].removeprefix("Value error, ")
            shown = err.get("input")
            credential = field in ("client_secret", "client_id", "client_config")
            if field == "client_id":  # pydantic would quote a character of what was given
                message = (
                    "is not a UUID (a client id looks like 6f1c5c2e-...): check that the id "
                    "and the secret are not swapped"
                )
            if not credential and isinstance(shown, (str, int, float)):
                message += f" (got {shown!r})"
            problems.append(f"{_label(field)}: {message}")
        raise SettingsError(problems) from None
    if problems:
        raise SettingsError(list(problems))
    return settings
