"""Transfer's task API in the stand-in: submission ids, transfer and delete submissions, the
task document, its successful transfers and cancel (see :mod:`~globusput.testing.tasks`).

Sources: paths, methods and answer shapes (``transfer_result``/``delete_result`` with code
``Accepted``, ``Duplicate`` for a repeated submission id, ``result`` with code ``Canceled``,
``successful_transfers`` paged by ``next_marker``): globus-sdk 4.10's ``TransferClient`` and
``testing/data/transfer`` fixtures; submission checks (consent on both collections, session
policies): as for file operations. A task's owner alone may see or cancel it.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from datetime import datetime
from typing import Any

from globusput.testing.model import TRANSFER_RS, Collection, Token
from globusput.testing.tasks import Task, TaskRunner
from globusput.testing.transfer import TransferRoutes, json_body

TASK = re.compile(r"^/v0\.10/task/([^/]+)(?:/(successful_transfers|cancel))?$")
#: route name by path, for the dispatcher and the request log
TASK_ROUTES = {"/v0.10/submission_id": "submission_id", "/v0.10/transfer": "submit"}
TASK_ROUTES["/v0.10/delete"] = "submit"
#: successful transfers per page (Transfer's page size is unrecorded; small enough to page)
SUCCESS_PAGE = 1000


def task_route(path: str) -> str | None:
    """``transfer.submission_id``, ``transfer.submit``, ``transfer.task``,
    ``transfer.successful_transfers`` or ``transfer.cancel``; None for other paths."""
    if path in TASK_ROUTES:
        return f"transfer.{TASK_ROUTES[path]}"
    match = TASK.match(path)
    return f"transfer.{match.group(2) or 'task'}" if match else None


class TaskRoutes(TransferRoutes):
    """The task routes, beside the file operations."""

    def _task(self, route: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        token = self.standin.valid_token(self.bearer_token())
        if token is None or token.resource_server != TRANSFER_RS:
            self._error(401, "AuthenticationFailed", "Token is not active", path)
            return
        method = "GET" if route in ("transfer.submission_id", "transfer.task") else "POST"
        if route == "transfer.successful_transfers":
            method = "GET"
        if self.command != method:
            self._error(405, "ClientError.MethodNotAllowed", f"{path} takes {method}", path)
            return
        if route == "transfer.submission_id":
            self.send_json(200, {"DATA_TYPE": "submission_id", "value": str(uuid.uuid4())})
            return
        if route == "transfer.submit":
            try:
                self._submit(token, path, json_body(body))
            except ValueError as exc:
                self._error(400, "ClientError.BadRequest", str(exc), path)
            return
        match = TASK.match(path)
        assert match is not None
        task = self.standin.tasks.get(match.group(1))
        if task is None or task.username != token.username:
            self._error(404, "TaskNotFound", f"Task {match.group(1)} not found", path)
        elif route == "transfer.task":
            self.send_json(200, task.document())
        elif route == "transfer.cancel":
            self._cancel(task, path)
        else:
            self._successes(task, query)

    def _submit(self, token: Token, path: str, data: dict[str, Any]) -> None:
        kind = "TRANSFER" if path.endswith("/transfer") else "DELETE"
        expected = "transfer" if kind == "TRANSFER" else "delete"
        if data.get("DATA_TYPE") != expected:
            raise ValueError(f"DATA_TYPE must be {expected}")
        submission = str(data.get("submission_id") or "")
        if not submission:
            raise ValueError("submission_id is required")
        ids = [data.get("destination_endpoint") if kind == "TRANSFER" else data.get("endpoint")]
        if kind == "TRANSFER":
            ids.insert(0, data.get("source_endpoint"))
        found = [self.standin.collections.get(str(i)) for i in ids]
        items = data.get("DATA")
        if not isinstance(items, list) or not items:
            raise ValueError("DATA must list at least one item")
        for item in items:  # a path Transfer cannot take is refused with the submission
            for key in ("path", "source_path", "destination_path"):
                if not isinstance(item, dict):
                    raise ValueError("each DATA item must be an object")
                if key in item and {".", ".."} & set(str(item[key]).split("/")):
                    raise ValueError(f"{key} {item[key]!r} has a '.' or '..' segment")
        for collection_id, collection in zip(ids, found, strict=True):
            if collection is None:
                self._error(404, "EndpointNotFound", f"No such endpoint '{collection_id}'", path)
                return
            if self._refuses(collection, token, path):
                return
        with self.standin.lock:
            known = self.standin.submissions.get(submission)
            if known is None:
                task = self._new_task(kind, token, submission, data, found)
                self.standin.submissions[submission] = task.id
                TaskRunner(self.standin, task).start()
                code, task_id = "Accepted", task.id
            else:
                code, task_id = "Duplicate", known
        self.send_json(
            202 if code == "Accepted" else 200,
            {
                "DATA_TYPE": f"{expected}_result",
                "code": code,
                "message": "The task has been accepted and queued for execution",
                "request_id": secrets.token_hex(5),
                "resource": path,
                "submission_id": submission,
                "task_id": task_id,
                "task_link": {"DATA_TYPE": "link", "href": f"/v0.10/task/{task_id}?format=json"},
            },
        )

    def _new_task(
        self,
        kind: str,
        token: Token,
        submission: str,
        data: dict[str, Any],
        found: list[Collection | None],
    ) -> Task:
        deadline = data.get("deadline")
        options = {
            k: data.get(k)
            for k in ("sync_level", "verify_checksum", "preserve_timestamp", "recursive")
        }
        options |= {k: data.get(k) for k in ("ignore_missing", "fail_on_quota_errors")}
        if isinstance(options["sync_level"], str):
            names = ("exists", "size", "mtime", "checksum")
            options["sync_level"] = names.index(options["sync_level"])
        task = Task(
            id=str(uuid.uuid4()),
            kind=kind,
            username=token.username,
            submission_id=submission,
            label=data.get("label"),
            destination=found[-1],  # type: ignore[arg-type]
            source=found[0] if kind == "TRANSFER" else None,
            items=list(data["DATA"]),
            options=options,
            deadline=datetime.fromisoformat(deadline).timestamp() if deadline else None,
        )
        self.standin.tasks[task.id] = task
        return task

    def _cancel(self, task: Task, path: str) -> None:
        if task.status != "ACTIVE":
            code, message = "TaskComplete", "The task was already complete"
        else:
            task.cancelled.set()
            deadline = time.monotonic() + 5
            while task.status == "ACTIVE" and time.monotonic() < deadline:
                time.sleep(0.02)
            code, message = "Canceled", "The task has been cancelled successfully."
        self.send_json(
            200,
            {
                "DATA_TYPE": "result",
                "code": code,
                "message": message,
                "resource": path,
                "request_id": "cancel",
            },
        )

    def _successes(self, task: Task, query: dict[str, list[str]]) -> None:
        marker = int(query.get("marker", ["0"])[0] or 0)
        page = task.successes[marker : marker + SUCCESS_PAGE]
        following = marker + len(page)
        self.send_json(
            200,
            {
                "DATA_TYPE": "successful_transfers",
                "marker": marker,
                "next_marker": following if following < len(task.successes) else None,
                "DATA": page,
            },
        )
