"""action.yml, the settings model and the README's input table name the same settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter

from globusput.envnames import NAMES
from globusput.settings import Settings

REPO = Path(__file__).resolve().parents[2]
#: Settings that only make sense at a terminal: logging in as a person, with a browser.
TERMINAL_ONLY = {"no_browser", "native_client_id"}
#: Turning TLS verification off is deliberately not one click away in a workflow file.
NOT_AN_INPUT = {"insecure_skip_tls_verify"}


def action() -> dict[str, Any]:
    return yaml.safe_load((REPO / "action.yml").read_text())  # type: ignore[no-any-return]


def input_variables() -> dict[str, str]:
    """input name -> the environment variable runs.env gives it."""
    found = {}
    for variable, value in action()["runs"]["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", value)
        assert match, f"{variable}: {value!r} is not a plain input"
        assert match.group(1) not in found, f"{match.group(1)} is used twice"
        found[match.group(1)] = variable
    return found


def test_every_setting_has_its_input_and_every_input_its_setting() -> None:
    variables = input_variables()
    assert set(variables) == set(action()["inputs"])
    field_of = {env: field for field, (env, _) in NAMES.items()}
    fields = {field_of[variable] for variable in variables.values()}
    assert fields == set(Settings.model_fields) - TERMINAL_ONLY - NOT_AN_INPUT
    for name in variables:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name), f"{name} is not kebab-case"
        assert action()["inputs"][name]["description"].strip()


def test_shown_defaults_are_the_settings_defaults() -> None:
    field_of = {env: field for field, (env, _) in NAMES.items()}
    for name, variable in input_variables().items():
        shown = action()["inputs"][name].get("default")
        if shown is None:
            continue
        info = Settings.model_fields[field_of[variable]]
        parsed = TypeAdapter(info.annotation).validate_python(shown)
        assert parsed == info.default, f"{name}: action.yml shows {shown!r}"


def test_readme_input_table_matches_action_yml() -> None:
    readme = (REPO / "README.md").read_text()
    rows = re.findall(
        r"^\| `([a-z][a-z-]*)`(?: \(required\))? \| `([A-Z_]+)` \| (.*?) \|$", readme, re.M
    )
    table = {name: (variable, default.strip("` ")) for name, variable, default in rows}
    inputs = action()["inputs"]
    assert table == {
        name: (variable, str(inputs[name].get("default") or ""))
        for name, variable in input_variables().items()
    }
