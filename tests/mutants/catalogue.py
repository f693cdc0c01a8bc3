"""The README's guarantees, each with small changes that break it and the tests that must
then fail. ``tests/mutants/run.py`` applies each change alone in a scratch copy and runs its
tests; a change the tests let pass (a survivor) fails the run.

A change is an exact text of a file and what replaces it; the text must occur exactly once,
so a change that no longer fits the code fails loudly instead of testing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

UNIT = "tests/unit"
E2E = "tests/e2e"


@dataclass(frozen=True)
class Mutant:
    name: str
    guarantee: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


CATALOGUE = [
    Mutant(
        "redirect-followed",
        "the token goes only to the collection",
        "globusput/channel.py",
        "allow_redirects=False,",
        "allow_redirects=True,",
        (
            f"{UNIT}/test_upload.py",
            f"{UNIT}/test_download.py",
            f"{E2E}/test_guarantees.py::test_a_redirect_elsewhere_never_takes_the_token_along",
        ),
    ),
    Mutant(
        "redirect-resent-with-token",
        "the token goes only to the collection",
        "globusput/channel.py",
        "        return response, generation\n",
        "        if 300 <= response.status_code < 400 and 'Location' in response.headers:\n"
        "            response = self.session.request(method, response.headers['Location'],"
        " data=data, headers={**(headers or {}), 'Authorization': header},"
        " timeout=self.timeout, verify=self.verify_tls, stream=stream)\n"
        "        return response, generation\n",
        (
            f"{UNIT}/test_upload.py",
            f"{UNIT}/test_download.py",
            f"{E2E}/test_guarantees.py::test_a_redirect_elsewhere_never_takes_the_token_along",
        ),
    ),
    Mutant(
        "truncated-file-kept",
        "no truncated file stays under a final name",
        "globusput/upload.py",
        "if renames or any(partial):",
        "if renames:",
        (f"{UNIT}/test_upload.py::test_an_interrupted_put_is_removed_from_its_name",),
    ),
    Mutant(
        "mask-after-validation",
        "secrets are masked before anything else is printed",
        "globusput/cli.py",
        "    _mask_credentials(reporter)\n    try:\n        settings = load_settings(values)\n",
        "    try:\n        settings = load_settings(values)\n        _mask_credentials(reporter)\n",
        (f"{E2E}/test_guarantees.py::test_the_secret_is_masked_before_anything_else_is_printed",),
    ),
    Mutant(
        "never-masked",
        "secrets are masked before anything else is printed",
        "globusput/ci.py",
        'self._command(f"::add-mask::{_escape_data(value)}")',
        "pass",
        (f"{E2E}/test_guarantees.py::test_the_secret_is_masked_before_anything_else_is_printed",),
    ),
    Mutant(
        "manifest-in-place",
        "a manifest is replaced whole or not at all",
        "globusput/manifest.py",
        '    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")\n',
        "    temp = str(path)\n    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)\n",
        (f"{UNIT}/test_manifest.py::test_a_write_cut_short_leaves_the_old_manifest_whole",),
    ),
    Mutant(
        "summary-limit-doubled",
        "outputs and the job summary stay within GitHub's limits",
        "globusput/report.py",
        "SUMMARY_LIMIT = 1_000_000",
        "SUMMARY_LIMIT = 2_000_000",
        (f"{UNIT}/test_report.py",),
    ),
    Mutant(
        "output-limit-doubled",
        "outputs and the job summary stay within GitHub's limits",
        "globusput/report.py",
        "OUTPUT_LIMIT = 800_000",
        "OUTPUT_LIMIT = 1_600_000",
        (f"{UNIT}/test_report.py",),
    ),
    Mutant(
        "dotdot-fetched",
        "a fetched file lands inside the local folder",
        "globusput/plans.py",
        'p in ("", ".", "..")',
        'p in ("", ".")',
        (f"{UNIT}/test_plans.py",),
    ),
    Mutant(
        "pace-unbounded",
        "Transfer calls stay under the rate limit",
        "globusput/pacing.py",
        "RATE = 10\n",
        "RATE = 1000\n",
        (
            f"{UNIT}/test_pacing.py",
            f"{E2E}/test_distance.py::test_pacing_stays_under_the_rate_limit_and_a_lower_limit_only_slows",
        ),
    ),
    Mutant(
        "transfer-429-fatal",
        "a throttled Transfer is waited for",
        "globusput/pacing.py",
        "    if isinstance(ctx.exception, requests.RequestException) and ctx.attempt >= NETWORK_RETRIES:\n",
        "    if ctx.response is not None and ctx.response.status_code == 429:\n"
        "        return RetryCheckResult.do_not_retry\n"
        "    if isinstance(ctx.exception, requests.RequestException) and ctx.attempt >= NETWORK_RETRIES:\n",
        (
            f"{E2E}/test_guarantees.py::test_a_throttled_transfer_is_waited_for_on_every_kind_of_call",
        ),
    ),
    Mutant(
        "no-retries",
        "transient failures are retried",
        "globusput/channel.py",
        "total=self.retries,",
        "total=0,",
        (
            f"{UNIT}/test_download.py::test_a_transient_answer_is_retried",
            f"{E2E}/test_faults.py::test_transient_faults_are_retried_to_an_identical_copy",
        ),
    ),
    Mutant(
        "login-page-is-success",
        "a login page is never taken for success",
        "globusput/channel.py",
        "    head = response.content[:512].lstrip().lower()\n",
        "    return False\n    head = response.content[:512].lstrip().lower()\n",
        (f"{UNIT}/test_channel.py", f"{UNIT}/test_upload.py"),
    ),
    Mutant(
        "stored-size-unchecked",
        "each upload is proven whole by its stored size",
        "globusput/readback.py",
        "        if size != item.source.size:\n",
        "        if False:\n",
        (
            f"{UNIT}/test_upload.py::test_a_stored_size_that_differs_is_sent_again",
            f"{E2E}/test_faults.py::test_a_short_store_is_caught_only_while_sizes_are_verified",
        ),
    ),
    Mutant(
        "credentials-uploaded",
        "credential files are never uploaded",
        "globusput/vetting.py",
        "    if problems:\n        raise SelectionError",
        "    if False:\n        raise SelectionError",
        (f"{UNIT}/test_vetting.py",),
    ),
    Mutant(
        "workflow-command-in-log",
        "names and server texts cannot command the CI runner",
        "globusput/inert.py",
        '        if line.lstrip().startswith("::"):\n',
        "        if False:\n",
        (
            f"{UNIT}/test_inert.py",
            f"{E2E}/test_hostile.py::test_names_cannot_command_the_runner_and_arrive_exactly",
        ),
    ),
    Mutant(
        "hash-ignored",
        "a fetched file is the one the manifest describes",
        "globusput/download.py",
        "if item.sha256 is None or sha256 == item.sha256:",
        "if True:",
        (
            f"{UNIT}/test_download.py::test_another_file_than_the_manifest_names_is_refused_and_not_kept",
        ),
    ),
]
