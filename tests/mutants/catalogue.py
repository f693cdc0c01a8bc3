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
        "            stream=True,\n        )\n        return response, generation\n",
        "            stream=True,\n        )\n"
        "        if 300 <= response.status_code < 400 and 'Location' in response.headers:\n"
        "            response = self.session.request(method, response.headers['Location'],"
        " data=data, headers={**(headers or {}), 'Authorization': header},"
        " timeout=self.timeout, verify=self.verify_tls, stream=True)\n"
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
        "    _mask_credentials(reporter)\n    try:\n"
        "        settings = load_settings(values, _misspelled(reporter, misses))\n",
        "    try:\n        settings = load_settings(values, _misspelled(reporter, misses))\n"
        "        _mask_credentials(reporter)\n",
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
        "429-no-backoff",
        "jobs sharing a limit back off together (issue 25)",
        "globusput/pacing.py",
        "                hold = self.spacing * self._jitter(*HOLD_SPACINGS)\n",
        "                hold = 0.0\n",
        (
            f"{UNIT}/test_pacing.py",
            f"{E2E}/test_distance.py::test_jobs_sharing_a_limit_without_retry_after_back_off_together",
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
    # -- the far side is another party's server (what crosses into the runner is bounded) --
    Mutant(
        "error-body-read-whole",
        "an error body costs a few KiB of memory, whatever its size",
        "globusput/channel.py",
        "        if len(head) > limit:\n",
        "        if False:\n",
        (f"{UNIT}/test_download.py::test_a_huge_error_body_is_not_read",),
    ),
    Mutant(
        "download-past-listed-size",
        "a download stops the moment it passes the listed size",
        "globusput/download.py",
        "if limit is not None and copy.received + len(block) > limit:",
        "if False:",
        (f"{UNIT}/test_download.py",),
    ),
    Mutant(
        "compressed-accepted",
        "data is asked for as stored: never expanded by decompression",
        "globusput/channel.py",
        '"Accept-Encoding": "identity"',
        '"Accept-Encoding": "gzip, deflate"',
        (f"{UNIT}/test_download.py",),
    ),
    Mutant(
        "listed-name-joined",
        "a listed name that is not one segment fails alone, never joined",
        "globusput/plans.py",
        "                if listed.problem is None:\n",
        "                if True:\n",
        (
            f"{UNIT}/test_plans.py",
            f"{E2E}/test_far_side.py::test_names_a_listing_plants_fail_alone_and_nothing_lands_outside",
        ),
    ),
    Mutant(
        "manifest-entry-not-checked",
        "a manifest entry that is not a file's path fails alone",
        "globusput/manifest.py",
        "    if problem is not None or not problems:\n",
        "    if False:\n",
        (
            f"{UNIT}/test_manifest.py",
            f"{E2E}/test_get.py::test_a_manifest_path_leaving_the_local_folder_fails_alone",
        ),
    ),
    Mutant(
        "walk-in-circles",
        "a folder walk ends at a listing that contains itself",
        "globusput/remote.py",
        "if entries and (again := repeated(folder, tops, prints)):",
        "if False and (again := repeated(folder, tops, prints)):",
        (f"{UNIT}/test_collection.py",),
    ),
    Mutant(
        "ci-file-not-regular",
        "a FIFO or a device as a CI output is refused before anything is sent",
        "globusput/report.py",
        "    if path.exists() and not path.is_file():",
        "    if False:",
        (
            f"{E2E}/test_far_side.py::"
            "test_ci_output_files_that_are_no_files_are_refused_before_anything_is_sent",
        ),
    ),
    Mutant(
        "echo-unscrubbed",
        "a token the server echoes reaches no sink",
        "globusput/summary.py",
        "    collection, destination, manifest = where\n    scrub(reporter, outcomes)\n",
        "    collection, destination, manifest = where\n",
        (f"{UNIT}/test_report.py::test_a_token_echoed_by_the_server_reaches_no_sink",),
    ),
    Mutant(
        "no-deadline",
        "a trickling server cannot hold a run: every request has a whole deadline",
        "globusput/session.py",
        "                        limit.expire()\n",
        "                        pass\n",
        (
            f"{UNIT}/test_session.py",
            f"{E2E}/test_far_side.py::test_a_trickling_server_cannot_hold_a_download",
        ),
    ),
    Mutant(
        "body-sent-with-connect-timeout",
        "a server pausing to read a body for less than --timeout does not fail the upload",
        "globusput/session.py",
        "            self.timeout = limit.send_timeout\n",
        "            pass\n",
        (
            f"{E2E}/test_faults.py::"
            "test_a_server_that_stops_reading_for_a_while_does_not_fail_the_upload",
        ),
    ),
    Mutant(
        "planted-staging-resumed",
        "a staging folder is resumed only under globusput's own record",
        "globusput/placement.py",
        "        if found is None or found.destination != self.final:\n",
        "        if found is not None and found.destination != self.final:\n",
        (
            f"{E2E}/test_distance.py::"
            "test_whole_folder_refuses_an_existing_destination_and_foreign_staging",
        ),
    ),
    Mutant(
        "other-selection-resumed",
        "of two runs of different files, only the first publishes, untouched",
        "globusput/placement.py",
        "        if found.selection != self.record.selection:\n",
        "        if False:\n",
        (
            f"{E2E}/test_far_side.py::test_a_staging_folder_of_other_files_is_refused_and_left_alone",
        ),
    ),
    Mutant(
        "taken-over-publishes",
        "only the run the staging record names publishes",
        "globusput/placement.py",
        "    def publish(self) -> None:\n        taken = self.taken_over()\n",
        "    def publish(self) -> None:\n        taken = None\n",
        (
            f"{UNIT}/test_placement.py",
            f"{E2E}/test_far_side.py::test_of_two_runs_of_the_same_files_one_publishes",
        ),
    ),
    Mutant(
        "resumed-bytes-unchecked",
        "verify --hash fails on any byte a whole-folder run did not send",
        "globusput/manifest.py",
        'if entry.get("status") == "skipped" and entry.get("checked") != SAME_BYTES:',
        'if entry.get("status") == "skipped":',
        (f"{E2E}/test_far_side.py::test_bytes_changed_in_a_staging_folder_fail_verify_hash",),
    ),
    # -- where Globus's docs are silent -----------------------------------------------------
    Mutant(
        "head-probed-per-file",
        "a server without HEAD costs one probe per run",
        "globusput/readback.py",
        "            self.head = False\n",
        "            pass\n",
        (f"{E2E}/test_silent_docs.py::test_one_run_probes_head_once",),
    ),
    Mutant(
        "leftover-silent",
        "a partial file DELETE did not remove is named in the log, summary and manifest",
        "globusput/upload.py",
        "            self.leftovers.append(url)\n",
        "            pass\n",
        (
            f"{E2E}/test_silent_docs.py::test_a_partial_file_delete_did_not_remove_is_named_everywhere",
        ),
    ),
    Mutant(
        "one-refusal-ends-all",
        "a Transfer refusal disables only what it was about",
        "globusput/collection.py",
        "        return (operation, path) not in self.refused\n",
        "        return not self.refused\n",
        (f"{E2E}/test_get.py::test_a_folder_transfer_will_not_list_fails_alone",),
    ),
    # -- newcomers ----------------------------------------------------------------------------
    Mutant(
        "dry-run-typo-uploads",
        "a misspelled dry run stops the run before anything is sent",
        "globusput/cli.py",
        "        if closest in SAFETY:\n",
        "        if False:\n",
        (f"{E2E}/test_upload.py::test_a_misspelled_dry_run_stops_before_anything_is_sent",),
    ),
    Mutant(
        "token-store-made-in-ci",
        "without credentials or a terminal: one line, nothing made in HOME",
        "globusput/person.py",
        "            raise ConfigError(NO_TERMINAL)\n        self.app = user_app(settings, reporter)",
        "            pass\n        self.app = user_app(settings, reporter)",
        (f"{E2E}/test_login.py::test_no_terminal_in_ci_fails_at_once",),
    ),
    # -- deletion ----------------------------------------------------------------------------
    Mutant(
        "prune-takes-hidden",
        "prune never deletes a running upload's staging folder",
        "globusput/removal.py",
        '        elif name.startswith("."):\n',
        "        elif False:\n",
        (f"{E2E}/test_removal.py::test_prune_keeps_the_newest_and_touches_nothing_else",),
    ),
    Mutant(
        "prune-trusts-names",
        "prune never leaves the folder named, whatever the listing says",
        "globusput/removal.py",
        "        if problem is not None:\n",
        "        if False:\n",
        (
            f"{UNIT}/test_removal.py",
            f"{E2E}/test_removal.py::test_a_lying_listing_cannot_lead_prune_out_of_its_folder",
        ),
    ),
    Mutant(
        "prune-drops-newest",
        "prune never deletes the newest N",
        "globusput/removal.py",
        "    dated.sort(reverse=True)\n",
        "    dated.sort()\n",
        (
            f"{UNIT}/test_removal.py",
            f"{E2E}/test_removal.py::test_prune_keeps_the_newest_and_touches_nothing_else",
        ),
    ),
    Mutant(
        "root-deletable",
        "delete never takes / or the home folder",
        "globusput/removal.py",
        '    if path in ("", "/~"):\n',
        '    if path in ("/~",):\n',
        (
            f"{E2E}/test_removal.py::test_delete_refuses_the_collection_root_and_odd_paths_before_any_request",
        ),
    ),
    Mutant(
        "task-left-running",
        "a stopped run cancels its Transfer task",
        "globusput/tasks.py",
        "            cancel(collection, task_id)\n            return task_document(collection, task_id)\n",
        "            return task_document(collection, task_id)\n",
        (f"{E2E}/test_removal.py::test_a_stopped_run_cancels_its_task",),
    ),
    Mutant(
        "task-waits-out-permission",
        "a task that needs a person is cancelled and said, not waited out",
        "globusput/tasks.py",
        "        if nice in NEEDS_A_PERSON:\n",
        "        if False:\n",
        (f"{E2E}/test_removal.py::test_a_task_denied_permission_is_cancelled_and_said",),
    ),
    Mutant(
        "failed-task-is-success",
        "a task that did not succeed is never reported as done",
        "globusput/tasks.py",
        '    if status == "SUCCEEDED":\n        return None\n',
        '    if status in ("SUCCEEDED", "FAILED"):\n        return None\n',
        (
            f"{UNIT}/test_tasks.py",
            f"{E2E}/test_removal.py::test_a_quota_failure_ends_the_run_with_its_reason",
        ),
    ),
    # -- uploads by Transfer task ---------------------------------------------------------------
    Mutant(
        "task-copy-of-other-files-published",
        "an upload by task counts only copies of this runner's files as uploaded",
        "globusput/handover.py",
        "    if entry.size != item.size:\n",
        "    if False:\n",
        (
            f"{UNIT}/test_handover.py",
            f"{E2E}/test_handover.py::test_a_source_path_that_shows_other_files_publishes_nothing_as_uploaded",
        ),
    ),
    Mutant(
        "task-overwrites-kept-files",
        "--overwrite never keeps what is on the collection, by either engine",
        "globusput/handover.py",
        '    "never": "exists",\n',
        '    "never": None,\n',
        (
            f"{E2E}/test_handover.py::test_overwrite_never_becomes_a_sync_level_that_keeps_what_is_there",
        ),
    ),
    Mutant(
        "task-never-chosen",
        "large runs with a source collection go as a Transfer task",
        "globusput/handover.py",
        "    return len(files) > TASK_FILES or sum(f.size for f in files) > TASK_BYTES\n",
        "    return False\n",
        (
            f"{UNIT}/test_handover.py",
            f"{E2E}/test_handover.py::test_auto_hands_large_runs_to_transfer_and_keeps_small_ones_on_https",
        ),
    ),
    Mutant(
        "refused-put-per-file",
        "a new folder costs at most one refused PUT",
        "globusput/folders.py",
        "        return None if owner == index or answer.done() else answer\n",
        "        return None\n",
        (f"{E2E}/test_distance.py::test_transfer_calls_grow_with_folders_not_files",),
    ),
    Mutant(
        "early-grant-with-tls-off",
        "the secret never travels over unverified TLS before the settings refuse that",
        "globusput/early.py",
        "        if get_ssl_verify() is False:\n",
        "        if False:\n",
        (
            f"{UNIT}/test_early.py::test_no_grant_starts_where_a_check_guards_the_secret",
            f"{E2E}/test_tls.py::test_verification_off_works_only_with_the_loud_flag",
        ),
    ),
    Mutant(
        "early-grant-despite-misspelled-dry-run",
        "a misspelled dry run stops before anything is sent",
        "globusput/early.py",
        "    if plain is None or any(closest in SAFETY for _, closest in misspelled):\n",
        "    if plain is None:\n",
        (
            f"{UNIT}/test_early.py::test_no_grant_starts_where_a_check_guards_the_secret",
            f"{E2E}/test_upload.py::test_a_misspelled_dry_run_stops_before_anything_is_sent",
        ),
    ),
    Mutant(
        "early-grant-for-any-client",
        "the early token is used only for the client the settings name",
        "globusput/early.py",
        "    return grant if grant is not None and grant.key == (client_id, secret, collection) else None\n",
        "    return grant\n",
        (
            f"{UNIT}/test_early.py::test_the_run_takes_the_grant_only_for_the_client_the_settings_name",
        ),
    ),
    Mutant(
        "early-grant-dropped",
        "an upload asks Auth once",
        "globusput/auth.py",
        "            if early is not None and early.scopes == scopes:\n",
        "            if False:\n",
        (
            f"{E2E}/test_distance.py::test_one_file_into_an_existing_folder_needs_no_transfer_operation",
            f"{E2E}/test_upload.py::test_issue_example_wheels_and_html_tree",
        ),
    ),
    Mutant(
        "early-grant-never-asked",
        "the first token is asked for while the settings load",
        "globusput/cli.py",
        "        ask_early(values, os.environ, misses)\n",
        "        pass\n",
        (f"{E2E}/test_distance.py::test_a_run_asks_for_its_token_while_its_settings_load",),
    ),
    Mutant(
        "short-hold-after-429",
        "a job refused by a full window stays away for most of it (issue 25)",
        "globusput/pacing.py",
        "HOLD_SPACINGS = (3.0, 3.7)\n",
        "HOLD_SPACINGS = (2.0, 4.0)\n",
        (f"{UNIT}/test_pacing.py::test_a_job_refused_by_a_full_window_stays_away_for_most_of_it",),
    ),
    Mutant(
        "listings-without-a-lead",
        "folders finished together are listed after a first listing answers (issue 25)",
        "globusput/batch.py",
        "            entries = self._lead(lambda: self.collection.listing(folder))\n",
        "            entries = self.collection.listing(folder)\n",
        (
            f"{E2E}/test_distance.py::"
            "test_folders_finished_together_are_listed_after_a_first_listing_answers",
        ),
    ),
]
