from __future__ import annotations

import io
import signal
import threading
from pathlib import PurePosixPath

from globusput.batch import Uploads
from globusput.outcomes import Outcome
from globusput.plans import PlannedUpload
from globusput.remote import RemoteEntry
from globusput.report import Reporter
from globusput.selection import LocalFile


class _Collection:
    def listing(self, folder: str) -> dict[str, RemoteEntry] | None:
        return None

    def allowed(self, operation: str, path: str) -> bool:
        return True


class _Folders:
    def waiting(self, folder: str) -> bool:
        return False

    def first_of(self, folder: str, index: int) -> None:
        return None

    def answered(self, folder: str, index: int) -> None:
        pass

    def close(self) -> None:
        pass


class _Uploader:
    """Uploads everything, except one file on which it trips over a bug."""

    def __init__(self, cancel: threading.Event) -> None:
        self.collection = _Collection()
        self.folders = _Folders()
        self.cancel = cancel

    def upload(
        self, item: PlannedUpload, check_size: bool, may_defer: bool = False
    ) -> Outcome[PlannedUpload]:
        if item.source.path == "bad":
            raise KeyError("a bug")
        return Outcome(item, "uploaded", sha256="0" * 64)


def test_an_unexpected_error_stays_with_its_file() -> None:
    plan = [
        PlannedUpload(LocalFile(name, PurePosixPath(name), 1), f"/d/{name}", "https://x")
        for name in ("a", "bad", "c", "d", "e")
    ]

    cancel = threading.Event()

    def too_long(signum: int, frame: object) -> None:
        cancel.set()  # lets the workers go, so the failure is quick
        raise TimeoutError("the batch hung")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(10)
    try:
        outcomes, signum = Uploads(
            plan,
            _Uploader(cancel),  # type: ignore[arg-type]
            concurrency=2,
            reporter=Reporter(out=io.StringIO(), err=io.StringIO()),
            check_sizes=True,
            overwrite="always",
        ).run()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert signum == 0
    assert [o.status for o in outcomes] == [
        "uploaded",
        "failed",
        "uploaded",
        "uploaded",
        "uploaded",
    ]
    assert outcomes[1].error == "internal error (KeyError: 'a bug')"
