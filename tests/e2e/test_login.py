"""A person at a terminal: Native App login, stored tokens, refresh, consent, logout."""

from __future__ import annotations

import os
import pty
import queue
import re
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from globusput.testing import StandIn

from .conftest import GLOBUSPUT, Result, Runner

NATIVE = "0c2f8b3e-5a4d-4e6f-9b1a-7d8e9f0a1b2c"
USER = "alice@example.org"


@pytest.fixture
def user(run: Runner) -> Runner:
    run.standin.add_native_client(NATIVE)
    run.collection.acl[USER] = ["/"]
    run.write("a.txt", "a")
    return run


def user_env(run: Runner, **extra: str) -> dict[str, str]:
    env = run.env(GLOBUSPUT_NATIVE_CLIENT_ID=NATIVE, PYTHONUNBUFFERED="1", **extra)
    env.pop("GLOBUS_CLIENT_ID")
    env.pop("GLOBUS_CLIENT_SECRET")
    return env


def as_user(run: Runner, *args: str, **extra: str) -> Result:
    """Run globusput without client credentials, as a person would."""
    return run(
        *args,
        env={"GLOBUSPUT_NATIVE_CLIENT_ID": NATIVE, **extra},
        drop=("GLOBUS_CLIENT_ID", "GLOBUS_CLIENT_SECRET"),
    )


def token_file(run: Runner) -> Path:
    return Path(run.env()["HOME"]) / ".globus/app" / NATIVE / "globusput/tokens.json"


def approve(standin: StandIn, url: str) -> str:
    """What a person does in the browser: open the URL, approve, copy the code shown."""
    answer = requests.get(url, verify=str(standin.ca_path), allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert urlsplit(location).path == "/v2/web/auth-code"
    return parse_qs(urlsplit(location).query)["code"][0]


def paste_login(run: Runner, *args: str, prompts: int = 1, **env: str) -> str:
    """Run globusput -n and answer each printed URL through stdin; returns all output."""
    run.watch()
    proc = subprocess.Popen(
        [GLOBUSPUT, *args, "-n"],
        cwd=run.workspace,
        env=user_env(run, **env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output, answered = answer_logins(proc, lambda url: approve(run.standin, url))
    run.outputs.append(output)
    assert proc.wait(timeout=60) == 0, output
    assert answered == prompts, output
    return output


def answer_logins(
    proc: subprocess.Popen[str], approve: Callable[[str], str], timeout: float = 60
) -> tuple[str, int]:
    """Read the child's output until it ends, pasting a code for each login URL it prints.
    Lines are read by a thread, so a child that stops printing (a URL pattern that no longer
    matches leaves it waiting on stdin) fails the test after ``timeout`` instead of hanging."""
    assert proc.stdin is not None and proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    answered = 0
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            raise AssertionError(f"no end after {timeout} s: " + "".join(seen)) from None
        if line is None:
            return "".join(seen), answered
        seen.append(line)
        match = re.search(r"https://\S+/v2/oauth2/authorize\S+", line)
        if match:
            proc.stdin.write(approve(match.group(0)) + "\n")
            proc.stdin.flush()
            answered += 1


def test_no_browser_login_then_silent_reuse(user: Runner) -> None:
    output = paste_login(user, "a.txt", "/me/", user.collection_id)
    assert "Logging in to Globus" in output
    assert user.tree() == {"/me/a.txt": b"a"}
    path = token_file(user)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"scopes/{user.collection_id}/https" in user.standin.users.requested[0]
    assert "data_access" not in user.standin.users.requested[0]  # a guest collection

    user.standin.counts.clear()
    user.standin.log.clear()
    user.write("b.txt", "b")
    result = as_user(user, "b.txt", "/me/", user.collection_id)
    assert result.returncode == 0, result.output
    assert "readable by others" not in result.stderr
    assert user.standin.count("auth.") == 0  # stored tokens reused: no login, no grant
    assert user.stored("/me/b.txt") == b"b"
    path.chmod(0o644)
    result = as_user(user, "b.txt", "/me/", user.collection_id)
    assert result.returncode == 0 and "readable by others: chmod 600 it" in result.stderr


def test_expired_tokens_are_refreshed_without_a_login(user: Runner) -> None:
    user.standin.token_lifetime = 20  # under the SDK's 60 s margin: renewed at next use
    paste_login(user, "a.txt", "/r/", user.collection_id)
    user.standin.counts.clear()
    user.standin.log.clear()
    result = as_user(user, "a.txt", "/r2/", user.collection_id)
    assert result.returncode == 0, result.output
    grants = [e["grant"] for e in user.standin.log if e["route"] == "auth.token"]
    assert grants and set(grants) == {"refresh_token"}
    assert user.standin.counts["auth.authorize"] == 0


def test_second_collection_asks_for_consent_and_keeps_the_first(user: Runner) -> None:
    paste_login(user, "a.txt", "/one/", user.collection_id)
    other = user.standin.add_collection(grant=[USER])
    try:
        paste_login(user, "a.txt", "/two/", other.id)
        assert (other.root / "two/a.txt").read_bytes() == b"a"
        user.standin.counts.clear()
        result = as_user(user, "a.txt", "/again/", user.collection_id)
        assert result.returncode == 0, result.output
        assert user.standin.count("auth.") == 0
    finally:
        assert other.server is not None
        other.server.shutdown()
        del user.standin.collections[other.id]


def test_mapped_collection_asks_for_data_access(user: Runner) -> None:
    user.collection.entity_type = "GCSv5_mapped_collection"
    collection = user.collection_id
    data_access = f"https://auth.globus.org/scopes/{collection}/data_access"
    # the first use needs a login to read the collection, then consent for data access
    output = paste_login(user, "a.txt", "/m/", collection, prompts=2)
    assert "consent to data access" in output
    first, second = (s.split() for s in user.standin.users.requested)
    assert not any("data_access" in s for s in first)  # not known yet to be mapped
    transfer = f"urn:globus:auth:scope:transfer.api.globus.org:all[*{data_access}]"
    assert {transfer, data_access, f"https://auth.globus.org/scopes/{collection}/https"} <= set(
        second
    )
    assert user.tree() == {"/m/a.txt": b"a"}
    assert user.standin.counts["transfer.mkdir"] == 1  # Transfer acted: consent was enough
    user.standin.counts.clear()
    result = as_user(user, "a.txt", "/m2/", collection)
    assert result.returncode == 0, result.output
    assert user.standin.counts["auth.authorize"] == 0
    assert user.standin.counts["auth.consents"] >= 1  # the SDK checks dependent consents
    # a second mapped collection: the stored Transfer token reads it first, one login only
    other = user.standin.add_collection(grant=[USER], entity_type="GCSv5_mapped_collection")
    try:
        paste_login(user, "a.txt", "/m3/", other.id, prompts=1)
        assert (other.root / "m3/a.txt").read_bytes() == b"a"
        assert f"scopes/{other.id}/data_access" in user.standin.users.requested[-1]
        # and the first one still works without a login: consents add up
        user.standin.counts.clear()
        result = as_user(user, "a.txt", "/m4/", collection)
        assert result.returncode == 0, result.output
        assert user.standin.counts["auth.authorize"] == 0
    finally:
        assert other.server is not None
        other.server.shutdown()
        del user.standin.collections[other.id]


def test_high_assurance_mapped_collection_never_asks_for_data_access(user: Runner) -> None:
    user.collection.entity_type = "GCSv5_mapped_collection"
    user.collection.high_assurance = True
    paste_login(user, "a.txt", "/h/", user.collection_id, prompts=1)
    assert user.tree() == {"/h/a.txt": b"a"}
    assert not any("data_access" in s for s in user.standin.users.requested)


def test_consent_transfer_asks_for_again_is_given_at_a_terminal(user: Runner) -> None:
    user.collection.entity_type = "GCSv5_mapped_collection"
    paste_login(user, "a.txt", "/c/", user.collection_id, prompts=2)
    user.standin.add_fault("consent", route="transfer.mkdir")
    output = paste_login(user, "a.txt", "/c2/", user.collection_id, prompts=1)
    assert "consent to urn:globus:auth:scope:transfer.api.globus.org:all[*" in output
    assert user.stored("/c2/a.txt") == b"a"


def test_consent_transfer_asks_for_without_a_terminal_is_one_line(user: Runner) -> None:
    user.collection.entity_type = "GCSv5_mapped_collection"
    paste_login(user, "a.txt", "/c/", user.collection_id, prompts=2)
    user.standin.add_fault("consent", route="transfer.mkdir")
    user.standin.counts.clear()
    result = as_user(user, "a.txt", "/c2/", user.collection_id)
    assert result.returncode == 3, result.output
    (line,) = [x for x in result.stderr.splitlines() if "consent" in x]
    assert f"[*https://auth.globus.org/scopes/{user.collection_id}/data_access]" in line
    assert f"run 'globusput login {user.collection_id}' at a terminal" in line
    assert user.standin.counts["auth.authorize"] == 0 and "/c2/a.txt" not in user.tree()


POLICY = {"session_required_single_domain": ["example.edu"], "session_required_mfa": True}


def test_a_session_policy_is_met_by_logging_in_again_at_a_terminal(user: Runner) -> None:
    """The run logs in again with the policy's parameters and prompt=login (a login that
    reuses the browser session would not meet it) and carries on."""
    paste_login(user, "a.txt", "/p/", user.collection_id)
    user.collection.session_policy = dict(POLICY)
    output = paste_login(user, "a.txt", "/p/again.txt", user.collection_id)
    assert "requires a new login session" in output
    assert user.stored("/p/again.txt") == b"a"
    urls = [line for line in output.splitlines() if "/v2/oauth2/authorize" in line]
    assert len(urls) == 1 and "prompt=login" in urls[0]
    assert "session_required_single_domain=example.edu" in urls[0]
    assert "session_required_mfa=" in urls[0]


def test_a_session_policy_without_a_terminal_is_kept_for_globusput_login(user: Runner) -> None:
    """One line and exit 3, no login loop; `globusput login` then asks for exactly that
    session, and the next run without a terminal goes through."""
    paste_login(user, "a.txt", "/p/", user.collection_id)
    user.collection.session_policy = dict(POLICY)
    user.standin.counts.clear()
    result = as_user(user, "a.txt", "/p/b.txt", user.collection_id)
    assert result.returncode == 3, result.output
    assert "requires a login session with an identity from example.edu" in result.stderr
    assert f"run 'globusput login {user.collection_id}' at a terminal" in result.stderr
    assert user.standin.counts["auth.authorize"] == 0
    output = paste_login(user, "login", user.collection_id)
    assert "requires a new login session" in output
    result = as_user(user, "a.txt", "/p/b.txt", user.collection_id)
    assert result.returncode == 0, result.output
    assert user.stored("/p/b.txt") == b"a"


def test_an_endpoint_id_is_named_for_a_person_too(user: Runner) -> None:
    paste_login(user, "a.txt", "/p/", user.collection_id)  # a Transfer token is stored
    endpoint = user.standin.add_collection(entity_type="GCSv5_endpoint")
    try:
        result = as_user(user, "a.txt", "/p/", endpoint.id)
        assert result.returncode == 2, result.output
        assert "is a Globus Connect Server endpoint, not a collection" in result.stderr
        assert user.standin.counts["auth.authorize"] == 1  # the first login only
    finally:
        assert endpoint.server is not None
        endpoint.server.shutdown()
        del user.standin.collections[endpoint.id]


def test_a_dead_refresh_token_means_log_in_again(user: Runner) -> None:
    paste_login(user, "a.txt", "/d/", user.collection_id)
    user.standin.end_refresh_tokens()  # months unused, or consent revoked
    user.standin.expire_tokens()
    for command in (["a.txt", "/d2/", user.collection_id], ["whoami"]):
        result = as_user(user, *command)
        assert result.returncode == 3, result.output
        assert "log in again with 'globusput login'" in result.stderr
        assert "internal error" not in result.output


def test_login_honours_globus_collection_id_and_consents_as_the_type_needs(
    user: Runner,
) -> None:
    user.collection.entity_type = "GCSv5_mapped_collection"
    output = paste_login(user, "login", prompts=2, GLOBUS_COLLECTION_ID=user.collection_id)
    assert "logged in" in output
    assert f"scopes/{user.collection_id}/data_access" in user.standin.users.requested[-1]
    user.standin.counts.clear()
    result = as_user(user, "a.txt", "/l/", user.collection_id)
    assert result.returncode == 0, result.output
    assert user.standin.counts["auth.authorize"] == 0  # nothing left to consent to
    assert user.stored("/l/a.txt") == b"a"


def test_whoami_and_logout(user: Runner) -> None:
    result = as_user(user, "whoami")
    assert result.returncode == 3 and "not logged in" in result.stderr
    paste_login(user, "login")  # asks for 'profile': the username is shared
    assert "profile" in user.standin.users.requested[0].split()
    result = as_user(user, "whoami")
    assert result.returncode == 0 and USER in result.stdout
    live = [t for t in user.standin.tokens.values() if t.username == USER]
    assert live
    result = as_user(user, "logout")
    assert result.returncode == 0, result.output
    assert not token_file(user).exists()
    assert user.standin.counts["auth.revoke"] >= len(live)
    assert all(user.standin.valid_token(t.value) is None for t in live)


def test_whoami_after_a_login_that_shared_only_the_id(user: Runner) -> None:
    paste_login(user, "a.txt", "/w/", user.collection_id)  # an upload asks for openid only
    result = as_user(user, "whoami")
    assert result.returncode == 0, result.output
    assert user.standin.users.user.identity_id in result.stdout
    assert "username not shared" in result.stdout and USER not in result.stdout


def test_local_server_flow_with_a_browser(user: Runner, tmp_path: Path) -> None:
    browser = tmp_path / "fake-browser"
    browser.write_text(
        f"#!{sys.executable}\n"
        "import sys, requests\n"
        f"r = requests.get(sys.argv[1], verify={str(user.standin.ca_path)!r}, timeout=10)\n"
        "sys.exit(0 if r.ok else 1)\n"
    )
    browser.chmod(0o755)
    master, slave = pty.openpty()  # a person's terminal
    proc = subprocess.run(
        [GLOBUSPUT, "a.txt", "/b/", user.collection_id],
        cwd=user.workspace,
        env=user_env(user, BROWSER=str(browser)),
        stdin=slave,
        capture_output=True,
        text=True,
        timeout=60,
    )
    os.close(master)
    os.close(slave)
    user.outputs.append(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert user.tree() == {"/b/a.txt": b"a"}
    assert token_file(user).exists()


@pytest.mark.parametrize(
    "marker",
    [
        {"CI": "true"},
        {"JENKINS_URL": "http://jenkins:8080/"},  # Jenkins sets no CI variable
        {"GITLAB_CI": "true"},
        {"TF_BUILD": "True"},
        {"BUILDKITE": "true"},
        {"TEAMCITY_VERSION": "2025.1"},
    ],
)
def test_no_terminal_in_ci_fails_at_once(user: Runner, marker: dict[str, str]) -> None:
    """One line, exit 2, and nothing made in HOME (a Jenkins container's may be / or not
    writable: the token store used to be created first, ending in an internal error)."""
    user.watch()
    home = user.workspace / "jenkins-home"
    home.mkdir()
    proc = subprocess.Popen(
        [GLOBUSPUT, "-n", "a.txt", "/x/", user.collection_id],
        cwd=user.workspace,
        env={**user_env(user, **marker), "HOME": str(home)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate(timeout=30)  # stdin stays open: a hang would time out
    user.outputs.append(out + err)
    assert proc.returncode == 2
    assert "GLOBUS_CLIENT_ID" in err and "GLOBUS_CLIENT_SECRET" in err
    assert err.count("\n") == 1 and err.startswith("error: no client credentials"), err
    assert user.standin.count() == 0
    assert list(home.iterdir()) == []


def test_standard_input_ending_is_not_called_a_cancellation(user: Runner) -> None:
    result = as_user(user, "-n", "a.txt", "/x/", user.collection_id)  # stdin: /dev/null
    assert result.returncode == 3, result.output
    assert "standard input ended before a code was entered" in result.stderr
    assert "cancelled" not in result.output


def test_the_demo_standin_lets_a_person_log_in_as_the_readme_says(tmp_path: Path) -> None:
    """``python -m globusput.testing run --person``: the default Native App is registered and
    the stand-in's person may write to the demo collection."""
    from globusput.testing import DEMO_COLLECTION_ID

    (tmp_path / "home").mkdir()
    (tmp_path / "notes.txt").write_text("n")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    workdir = tmp_path / "standin"
    command = [sys.executable, "-m", "globusput.testing", "run", "--dir", str(workdir), "--person"]
    proc = subprocess.Popen(
        [*command, "--", GLOBUSPUT, "-n", "notes.txt", "/me/", DEMO_COLLECTION_ID],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def approve_here(url: str) -> str:
        ca = str(workdir / "tls" / "ca.pem")
        answer = requests.get(url, allow_redirects=False, timeout=10, verify=ca)
        return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]

    output, answered = answer_logins(proc, approve_here)
    assert proc.wait(timeout=60) == 0, output
    assert answered == 1, output
    assert "#   /me/notes.txt (1 bytes)" in output


def test_a_person_gets_and_verifies_with_the_stored_login(user: Runner) -> None:
    paste_login(user, "--manifest", "m.json", "a.txt", "/me/", user.collection_id)
    user.standin.counts.clear()
    result = as_user(user, "get", "/me/a.txt", "back", user.collection_id)
    assert result.returncode == 0, result.output
    assert (user.workspace / "back/me/a.txt").read_bytes() == b"a"
    result = as_user(user, "verify", "--hash", "m.json")
    assert result.returncode == 0, result.output
    assert user.standin.counts["auth.authorize"] == 0 and user.standin.counts["data.GET"] == 2


def test_a_person_uploading_by_task_from_a_mapped_collection_consents_once(user: Runner) -> None:
    """The task needs data_access on the mapped source too: Transfer asks at submission, the
    person approves at a terminal, the same submission goes on."""
    source = user.standin.add_collection(
        grant=[USER], entity_type="GCSv5_mapped_collection", root=user.workspace
    )
    try:
        task = ["--engine", "task", "--source-collection", source.id, "--source-path", "/"]
        output = paste_login(user, "a.txt", "/t/", user.collection_id, *task, prompts=2)
        assert "consent to" in output
        assert user.tree() == {"/t/a.txt": b"a"}
        assert f"scopes/{source.id}/data_access" in user.standin.users.requested[-1]
        assert len(user.standin.tasks) == 1  # one task, submitted again after the consent
    finally:
        assert source.server is not None
        source.server.shutdown()
        del user.standin.collections[source.id]
