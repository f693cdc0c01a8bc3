"""When a login can be answered: never in CI, whichever CI system it is."""

from __future__ import annotations

import pytest

from globusput.person import CI_MARKERS, in_ci


@pytest.fixture(autouse=True)
def no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CI_MARKERS:
        monkeypatch.delenv(name, raising=False)


def test_a_plain_shell_is_not_ci() -> None:
    assert not in_ci()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CI", "true"),
        ("CI", "1"),
        ("JENKINS_URL", "http://jenkins.example.org/"),
        ("TF_BUILD", "True"),
        ("bamboo_buildKey", "PROJ-PLAN-JOB1"),
        ("WOODPECKER_CI", "true"),
    ],
)
def test_each_ci_system_is_recognised(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert in_ci()


@pytest.mark.parametrize("value", ["", "false", "0", "no"])
def test_a_marker_set_to_false_is_not_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert not in_ci()
