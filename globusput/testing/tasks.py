"""Globus Transfer tasks in the stand-in: transfer and delete tasks that really move and
remove files between collections' roots, at a settable rate, with Transfer's awkward parts.

Sources: the task document's fields (``status`` ACTIVE/SUCCEEDED/FAILED, ``nice_status``,
``is_paused``, ``fatal_error``, the counters): globus-sdk 4.10's ``testing/data/transfer``
fixtures (``task_list``, ``submit_delete``, ``cancel_task``, ``successful_transfers``) and the
Transfer API reference. Unrecorded, so each plausible answer is offered by a fault (see
:class:`~globusput.testing.model.Fault`, routes ``task.file`` and ``task.start``): a file's
lasting error is ``nice_status`` (PERMISSION_DENIED, QUOTA_EXCEEDED...) while the task retries
until its deadline, or a ``fatal_error`` ending it; a task paused by an administrator's rule
is ``is_paused``; a task past its deadline fails with ``fatal_error.code`` EXPIRED; one
cancelled elsewhere with CANCELED.
"""

from __future__ import annotations

import datetime
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from globusput.testing.model import Collection, Fault

#: Bytes a second a task moves (settable: ``State.task_rate``); an assumption, not a figure.
TASK_RATE = 200 * 1024 * 1024
#: How often a task that meets a lasting error tries again (Transfer: minutes; here short).
RETRY_SECONDS = 0.2


class Engine(Protocol):
    """What a task needs of the stand-in's state: its faults and its pace."""

    task_rate: int

    def take_fault(self, route: str, path: str) -> Fault | None: ...


def stamp(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.datetime.fromtimestamp(moment, datetime.timezone.utc).isoformat()


@dataclass
class Task:
    """One task and what it has done so far; changed only by its own thread (and cancel)."""

    id: str
    kind: str  # "TRANSFER" or "DELETE"
    username: str
    submission_id: str
    label: str | None
    destination: Collection
    source: Collection | None
    items: list[dict[str, Any]]
    options: dict[str, Any]
    deadline: float | None
    status: str = "ACTIVE"
    nice_status: str | None = "Queued"
    is_paused: bool = False
    fatal_error: dict[str, str] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    successes: list[dict[str, str]] = field(default_factory=list)
    cancelled: threading.Event = field(default_factory=threading.Event)
    requested: float = field(default_factory=time.time)
    completed: float | None = None

    def document(self) -> dict[str, Any]:
        """The task document as ``GET /task/ID`` returns it."""
        counts = self.counts
        files = counts.get("files", 0)
        done = counts.get("files_transferred", 0) + counts.get("files_skipped", 0)
        return {
            "DATA_TYPE": "task",
            "task_id": self.id,
            "type": self.kind,
            "label": self.label,
            "status": self.status,
            "nice_status": self.nice_status,
            "nice_status_short_description": self.nice_status,
            "is_paused": self.is_paused,
            "is_ok": None if self.status != "ACTIVE" else self.nice_status in ("OK", "Queued"),
            "fatal_error": self.fatal_error,
            "canceled_by_admin": None,
            "request_time": stamp(self.requested),
            "completion_time": stamp(self.completed),
            "deadline": stamp(self.deadline),
            "source_endpoint_id": self.source.id if self.source else None,
            "destination_endpoint_id": self.destination.id,
            "sync_level": self.options.get("sync_level"),
            "verify_checksum": self.options.get("verify_checksum", False),
            "preserve_timestamp": self.options.get("preserve_timestamp", False),
            "files": files,
            "directories": counts.get("directories", 0),
            "files_transferred": counts.get("files_transferred", 0),
            "files_skipped": counts.get("files_skipped", 0),
            "bytes_transferred": counts.get("bytes_transferred", 0),
            "bytes_checksummed": counts.get("bytes_checksummed", 0),
            "delete_destination_extra": False,
            "faults": counts.get("faults", 0),
            "subtasks_total": files,
            "subtasks_succeeded": done,
            "subtasks_pending": max(files - done, 0) if self.status == "ACTIVE" else 0,
            "subtasks_failed": 1 if self.status == "FAILED" else 0,
            "subtasks_canceled": 0,
            "subtasks_expired": 0,
            "owner_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, self.username)),
            "username": self.username,
        }


class TaskRunner:
    """Carries one task out on its own thread, as Transfer does once it has accepted it."""

    def __init__(self, state: Engine, task: Task) -> None:
        self.state, self.task = state, task

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"task-{self.task.id}", daemon=True).start()

    def _run(self) -> None:
        task = self.task
        try:
            self._wait_while_paused()
            task.nice_status = "OK"
            if task.kind == "TRANSFER":
                self._transfer()
            else:
                self._delete()
            task.status, task.nice_status = "SUCCEEDED", None
        except _Ended as ended:
            task.status, task.nice_status = "FAILED", None
            task.fatal_error = {"code": ended.code, "description": ended.description}
        except Exception as exc:  # the stand-in's own fault: a task must end all the same
            task.status, task.nice_status = "FAILED", None
            task.fatal_error = {"code": "ENDPOINT_ERROR", "description": str(exc)}
        task.completed = time.time()

    # -- the pace and the ends ------------------------------------------------------------
    def _check(self) -> None:
        if self.task.cancelled.is_set():
            raise _Ended("CANCELED", "The task was canceled")
        if self.task.deadline is not None and time.time() >= self.task.deadline:
            raise _Ended("EXPIRED", "The task expired: its deadline passed")

    def _wait_while_paused(self) -> None:
        fault = self.state.take_fault("task.start", self.task.destination.id)
        if fault is None or fault.kind != "pause":
            return
        task = self.task
        task.is_paused, task.nice_status = True, "PAUSED_BY_ADMIN"
        until = time.time() + fault.seconds if fault.seconds else None
        while until is None or time.time() < until:
            self._check()
            time.sleep(RETRY_SECONDS / 4)
        task.is_paused = False

    def _file_fault(self, path: str, allowed: bool) -> None:
        """A lasting error keeps the task retrying (``nice_status``) until it clears, the
        deadline passes or someone cancels; a fatal one ends the task."""
        task = self.task
        while True:
            self._check()
            fault = self.state.take_fault("task.file", path)
            lasting = fault is not None and fault.kind in ("task", "task_fatal")
            code = fault.body if fault is not None and lasting else None
            if code is None and not allowed:
                code = "PERMISSION_DENIED"
            if code is None:
                task.nice_status = "OK"
                return
            task.counts["faults"] = task.counts.get("faults", 0) + 1
            if (fault is not None and fault.kind == "task_fatal") or (
                code == "QUOTA_EXCEEDED" and task.options.get("fail_on_quota_errors")
            ):
                raise _Ended(code, f"{code} on {path}")
            task.nice_status = code
            time.sleep(RETRY_SECONDS)

    def _count(self, name: str, amount: int = 1) -> None:
        self.task.counts[name] = self.task.counts.get(name, 0) + amount

    # -- transfer -------------------------------------------------------------------------
    def _transfer(self) -> None:
        task = self.task
        assert task.source is not None
        pairs = list(self._expand(task.source, task.destination))
        task.counts["files"] = len(pairs)
        for source_path, source, target_path, target in pairs:
            allowed = task.destination.allows(task.username, target_path)
            allowed = allowed and task.source.allows(task.username, source_path)
            self._file_fault(source_path, allowed)
            if self._in_sync(source, target):
                self._count("files_skipped")
                continue
            size = source.stat().st_size
            self._move_bytes(size)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.task-partial")
            shutil.copyfile(source, partial)
            if task.options.get("preserve_timestamp"):
                info = source.stat()
                os.utime(partial, (info.st_atime, info.st_mtime))
            partial.replace(target)
            self._count("files_transferred")
            self._count("bytes_transferred", size)
            if task.options.get("verify_checksum"):
                self._count("bytes_checksummed", size)
            task.successes.append(
                {
                    "DATA_TYPE": "successful_transfer",
                    "source_path": source_path,
                    "destination_path": target_path,
                }
            )

    def _expand(self, source: Collection, target: Collection) -> Any:
        """Every file an item names: a file, or (``recursive``) the files below a folder."""
        for item in self.task.items:
            source_path = source.absolute(str(item.get("source_path", "")))
            target_path = target.absolute(str(item.get("destination_path", "")))
            origin = source.fs_path(source_path)
            if not origin.exists():
                raise _Ended("FILE_NOT_FOUND", f"{source_path} not found on the source")
            if not origin.is_dir():
                yield source_path, origin, target_path, target.fs_path(target_path)
                continue
            if not item.get("recursive"):
                raise _Ended("NOT_A_FILE", f"{source_path} is a folder; recursive not set")
            for found in sorted(p for p in origin.rglob("*") if p.is_file()):
                below = found.relative_to(origin).as_posix()
                target_file = f"{target_path.rstrip('/')}/{below}"
                yield (
                    f"{source_path.rstrip('/')}/{below}",
                    found,
                    target_file,
                    (target.fs_path(target_file)),
                )

    def _in_sync(self, source: Path, target: Path) -> bool:
        """Transfer's sync levels: 0 exists, 1 size, 2 modification time, 3 checksum."""
        level = self.task.options.get("sync_level")
        if level is None or not target.is_file():
            return False
        there, here = target.stat(), source.stat()
        if level == 0:
            return True
        if level == 1:
            return there.st_size == here.st_size
        if level == 2:
            return there.st_size == here.st_size and int(there.st_mtime) >= int(here.st_mtime)
        return target.read_bytes() == source.read_bytes()

    def _move_bytes(self, size: int) -> None:
        """Time passes as the bytes move, and cancel and the deadline still apply."""
        end = time.monotonic() + size / max(self.state.task_rate, 1)
        while time.monotonic() < end:
            self._check()
            time.sleep(min(0.05, max(end - time.monotonic(), 0)))
        self._check()

    # -- delete ---------------------------------------------------------------------------
    def _delete(self) -> None:
        task, collection = self.task, self.task.destination
        task.counts["files"] = len(task.items)
        for item in task.items:
            path = collection.absolute(str(item.get("path", "")))
            self._file_fault(path, collection.allows(task.username, path))
            target = collection.fs_path(path)
            if not target.exists() and not target.is_symlink():
                if not task.options.get("ignore_missing"):
                    raise _Ended("FILE_NOT_FOUND", f"{path} not found")
            elif target.is_dir() and not target.is_symlink():
                if not task.options.get("recursive"):
                    raise _Ended("NOT_A_FILE", f"{path} is a folder; recursive not set")
                shutil.rmtree(target)
            else:
                target.unlink()
            self._count("files_transferred")
            self._move_bytes(0)


class _Ended(Exception):
    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description
