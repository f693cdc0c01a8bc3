"""Settings' public names: a variable that looks like one and is none is found, with the
closest real name, because a setting read under no name is silently its default."""

from __future__ import annotations

from globusput.envnames import NAMES, misspelled


def test_near_misses_are_named_with_the_closest_setting() -> None:
    found = dict(
        misspelled(
            {
                "GLOBUSPUT_DRYRUN": "true",
                "GLOBUSPUT_CONCURENCY": "8",
                "globusput_dry_run": "true",  # names are case-sensitive
                "GLOBUSPUT_CLIENT_ID": "x",  # the wrong prefix
                "GLOBUS_CLIENTID": "x",
                "GLOBUSPUT_SOMETHING_ELSE": "1",
            }
        )
    )
    assert found == {
        "GLOBUSPUT_DRYRUN": "GLOBUSPUT_DRY_RUN",
        "GLOBUSPUT_CONCURENCY": "GLOBUSPUT_CONCURRENCY",
        "globusput_dry_run": "GLOBUSPUT_DRY_RUN",
        "GLOBUSPUT_CLIENT_ID": "GLOBUS_CLIENT_ID",
        "GLOBUS_CLIENTID": "GLOBUS_CLIENT_ID",
        "GLOBUSPUT_SOMETHING_ELSE": None,
    }


def test_real_names_and_other_tools_variables_are_left_alone() -> None:
    environ = {env: "x" for env, _ in NAMES.values()}
    environ |= {
        "GLOBUS_SDK_ENVIRONMENT": "x",  # globus-sdk's own
        "GLOBUS_SDK_VERIFY_SSL": "x",
        "GLOBUS_CLI_INTERACTIVE": "x",  # another tool's, not close to ours
        "GLOBUSPUT_REQUIRE_NGINX": "1",  # the test suite's
        "HOME": "/root",
    }
    assert misspelled(environ) == []
