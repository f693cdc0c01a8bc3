from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from globusput.errors import SettingsError
from globusput.settings import load_settings

COLLECTION = "6528bad5-bc02-497d-8a4f-a38547d0e72a"
CLIENT = "3f4e1b2a-9c1d-4c7e-8a55-6d2f0e9b1c01"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("GLOBUS_", "GLOBUSPUT_")):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    s = load_settings({})
    assert (s.concurrency, s.retries, s.if_no_files_found, s.mkdir, s.overwrite) == (
        4,
        5,
        "error",
        True,
        "always",
    )
    assert s.atomic is None and not s.include_hidden and not s.dry_run


def test_cli_beats_environment_beats_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOBUSPUT_CONCURRENCY", "8")
    assert load_settings({}).concurrency == 8
    assert load_settings({"concurrency": 2}).concurrency == 2


def test_only_documented_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("concurrency", "9")
    monkeypatch.setenv("CONCURRENCY", "9")
    assert load_settings({}).concurrency == 4


def test_paths_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOBUSPUT_PATHS", "# wheels\ndist/*.whl\n\n  !dist/bad.whl  \ndocs/")
    assert load_settings({}).paths == ["dist/*.whl", "!dist/bad.whl", "docs/"]


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub passes every action input, set or not, as an environment variable."""
    monkeypatch.setenv("GLOBUSPUT_BASE_DIR", "")
    monkeypatch.setenv("GLOBUSPUT_CONCURRENCY", "")
    s = load_settings({})
    assert s.base_dir is None and s.concurrency == 4


def test_booleans_in_ci_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOBUSPUT_MKDIR", "false")
    monkeypatch.setenv("GLOBUSPUT_DRY_RUN", "true")
    s = load_settings({})
    assert s.mkdir is False and s.dry_run is True


def test_all_problems_at_once_naming_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOBUSPUT_CONCURRENCY", "99")
    monkeypatch.setenv("GLOBUS_CLIENT_SECRET", "   ")
    with pytest.raises(SettingsError) as caught:
        load_settings({"collection_id": "nope", "overwrite": "sometimes"})
    problems = caught.value.problems
    assert len(problems) == 4
    assert any(p.startswith("GLOBUSPUT_CONCURRENCY (--concurrency):") for p in problems)
    assert any(p.startswith("GLOBUS_COLLECTION_ID") and "'nope'" in p for p in problems)
    assert any(p.startswith("GLOBUSPUT_OVERWRITE (--overwrite)") for p in problems)
    assert any(p.startswith("GLOBUS_CLIENT_SECRET:") for p in problems)


def test_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOBUS_CLIENT_SECRET", "very-secret-value")
    s = load_settings({})
    assert "very-secret-value" not in repr(s) + str(s) + s.model_dump_json()


def test_a_secret_given_as_the_id_shows_none_of_its_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Id and secret swapped: pydantic's own message would quote a character of the secret."""
    secret = "Zq8/longSecretValue+Xw="
    monkeypatch.setenv("GLOBUS_CLIENT_ID", secret)
    monkeypatch.setenv("GLOBUS_CLIENT_SECRET", CLIENT)
    with pytest.raises(SettingsError) as caught:
        load_settings({})
    text = str(caught.value)
    assert "check that the id and the secret are not swapped" in text
    assert not any(f"`{c}`" in text or f"'{c}'" in text for c in set(secret)), text
    assert secret[:4] not in text


def test_client_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOBUS_CLIENT_ID", str(uuid.uuid4()))
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"client_id": CLIENT, "client_secret": "s3cr3t"}))
    s = load_settings({"client_config": str(config)})
    assert str(s.client_id) == CLIENT
    assert s.client_secret is not None and s.client_secret.get_secret_value() == "s3cr3t"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('{"client_id": "x"}', "must hold the keys"),
        ('["a"]', "must hold the keys"),
        ('{"client_id": "x", "client_secret": "y"}', "not a UUID"),
        (f'{{"client_id": "{CLIENT}", "client_secret": ""}}', "client_secret is empty"),
    ],
)
def test_bad_client_config(tmp_path: Path, content: str | None, message: str) -> None:
    config = tmp_path / "c.json"
    if content is not None:
        config.write_text(content)
    with pytest.raises(SettingsError, match=message) as caught:
        load_settings({"client_config": str(config)})
    assert caught.value.problems[0].startswith("GLOBUSPUT_CLIENT_CONFIG (-c/--client-config)")


def test_upload_target_required() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({}).require_upload_target()
    assert len(caught.value.problems) == 3


def test_atomic_threshold_takes_sizes_with_units(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings({}).atomic_threshold == 64 << 20
    assert load_settings({"atomic_threshold": "1GB"}).atomic_threshold == 10**9
    monkeypatch.setenv("GLOBUSPUT_ATOMIC_THRESHOLD", "500KiB")
    assert load_settings({}).atomic_threshold == 500 << 10
    with pytest.raises(SettingsError, match=r"GLOBUSPUT_ATOMIC_THRESHOLD \(--atomic-threshold\)"):
        load_settings({"atomic_threshold": "lots"})


def test_whole_folder_cannot_go_without_folder_creation() -> None:
    expected = r"^GLOBUSPUT_MKDIR \(--no-mkdir\): cannot be false with GLOBUSPUT_WHOLE_FOLDER"
    with pytest.raises(SettingsError, match=expected):
        load_settings({"whole_folder": True, "mkdir": False})
    assert load_settings({"whole_folder": True}).whole_folder


def test_the_task_engine_settings_are_checked_together_each_named() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({"engine": "task", "whole_folder": True, "source_path": "rel/"})
    problems = raised.value.problems
    assert any("go together" in p for p in problems)
    assert any("from the top" in p for p in problems)
    assert any("needs GLOBUSPUT_SOURCE_COLLECTION_ID" in p for p in problems)
    assert any("writes in place" in p for p in problems)
    assert not any(p.startswith("GLOBUSPUT_CLIENT_CONFIG") for p in problems)
    with pytest.raises(SettingsError, match="needs --engine task"):
        load_settings({"no_wait": True})
    with pytest.raises(SettingsError, match="drop --whole-folder, --atomic and --no-mkdir"):
        load_settings(
            {
                "engine": "task",
                "mkdir": False,
                "source_path": "/s/",
                "source_collection_id": "6528bad5-bc02-497d-8a4f-a38547d0e72a",
            }
        )
