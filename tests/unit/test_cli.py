from __future__ import annotations

import pytest

from globusput.cli import main, parse_args
from globusput.envnames import NAMES
from globusput.options import build_parser


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


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["get", "/a/", "/b.txt", "out", "cid"],
            {"paths": ["/a/", "/b.txt"], "destination": "out", "collection_id": "cid"},
        ),
        (
            ["get", "--from-manifest", "m.json", "out"],
            {"from_manifest": "m.json", "destination": "out"},
        ),
        (
            ["get", "--from-manifest", "m.json", "out", "cid"],
            {"from_manifest": "m.json", "destination": "out", "collection_id": "cid"},
        ),
        (["verify", "--hash", "m.json"], {"from_manifest": "m.json", "verify_hash": True}),
        (["verify", "m.json", "cid"], {"from_manifest": "m.json", "collection_id": "cid"}),
        (["get"], {}),  # everything from the environment
    ],
)
def test_get_and_verify_positionals(argv: list[str], expected: dict[str, object]) -> None:
    from globusput.cli import parse_file_command

    assert parse_file_command(argv[0], argv[1:]) == {**expected, "command": argv[0]}


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["get", "/a", "out"], "REMOTE... LOCAL_FOLDER COLLECTION_ID"),
        (["get", "--from-manifest", "m", "a", "b", "c"], "LOCAL_FOLDER [COLLECTION_ID]"),
        (["verify", "m", "c", "x"], "MANIFEST [COLLECTION_ID]"),
    ],
)
def test_get_and_verify_usage_errors(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_the_environment_names_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLOBUSPUT_COMMAND", "download")
    monkeypatch.delenv("GLOBUS_CLIENT_ID", raising=False)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert (
        "GLOBUSPUT_COMMAND (COMMAND): Input should be 'upload', 'get', 'verify', 'delete', "
        "'prune' or 'wait'" in err
    )


@pytest.mark.parametrize(
    ("argv", "command", "rest"),
    [
        (["-q", "get", "/a/", "out", "c"], "get", ["-q", "/a/", "out", "c"]),
        (
            ["--concurrency", "8", "get", "/a/", "o", "c"],
            "get",
            ["--concurrency", "8", "/a/", "o", "c"],
        ),
        (["-c", "verify", "verify", "m.json"], "verify", ["-c", "verify", "m.json"]),  # a value
        (["--timeout=5", "login"], "login", ["--timeout=5"]),
        (["a.txt", "get", "/d/", "c"], None, ["a.txt", "get", "/d/", "c"]),  # a file named get
        (["--", "get", "/d/", "c"], None, ["--", "get", "/d/", "c"]),
        (["--version"], None, ["--version"]),
    ],
)
def test_the_command_may_follow_options(
    argv: list[str], command: str | None, rest: list[str]
) -> None:
    from globusput.cli import split_command

    assert split_command(argv) == (command, rest)
