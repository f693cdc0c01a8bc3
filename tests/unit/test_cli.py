from __future__ import annotations

import pytest

from globusput.cli import build_parser, main, parse_args
from globusput.envnames import NAMES


def test_positional_form() -> None:
    values = parse_args(["-v", "a", "b/*.whl", "/dest/", "cid"])
    assert values == {
        "verbose": True,
        "paths": ["a", "b/*.whl"],
        "destination": "/dest/",
        "collection_id": "cid",
    }


def test_seed_form_options() -> None:
    values = parse_args(["-c", "cfg.json", "-n", "f", "/d/", "cid"])
    assert values["client_config"] == "cfg.json" and values["no_browser"] is True


def test_unset_options_leave_the_environment_in_charge() -> None:
    assert parse_args([]) == {}


def test_too_few_positionals_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["onlyone"]) == 2
    assert "DESTINATION COLLECTION_ID" in capsys.readouterr().err


def test_every_option_help_names_its_environment_variable() -> None:
    parser = build_parser()
    for action in parser._actions:
        if action.dest in ("help", "version"):
            continue
        assert "[env: " in (action.help or ""), action.dest
        if action.dest in NAMES:
            assert NAMES[action.dest][0] in (action.help or "")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith("globusput ")
