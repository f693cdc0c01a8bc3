from __future__ import annotations

import io
import signal
import threading
import time
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


class _Listed(_Collection):
    """Lists each folder slowly and truly (every file stored whole)."""

    def __init__(self, plan: list[PlannedUpload], seconds: float = 0.02) -> None:
        self.plan = plan
        self.listed: list[str] = []
        self.seconds = seconds

    def listing(self, folder: str) -> dict[str, RemoteEntry] | None:
        self.listed.append(folder)
        time.sleep(self.seconds)
        return {
            i.name: RemoteEntry(True, i.source.size, None) for i in self.plan if i.folder == folder
        }


class _ReadBack:
    """Reads sizes back by HEAD; or finds, at the first, that the server answers none."""

    def __init__(self, answers_head: bool) -> None:
        self.heads: list[str] = []
        self.head = True
        self.answers_head = answers_head

    def problem(self, item: PlannedUpload) -> str | None:
        self.heads.append(item.path)
        self.head = self.answers_head
        return None

    def listed_since(self, folder: str, since: float) -> None:
        return None  # a HEAD refused here lists nothing


class _Timed(_Uploader):
    """The second folder's files take ``sleep`` to send; each took ``seconds`` by its own
    account (what the run judges a HEAD's cost from)."""

    def __init__(
        self, collection: _Listed, seconds: float, answers_head: bool, sleep: float = 0.05
    ) -> None:
        super().__init__(threading.Event())
        self.collection = collection  # type: ignore[assignment]
        self.readback = _ReadBack(answers_head)
        self.seconds = seconds
        self.sleep = sleep

    def upload(
        self, item: PlannedUpload, check_size: bool, may_defer: bool = False
    ) -> Outcome[PlannedUpload]:
        if item.folder == "/b":
            time.sleep(self.sleep)
        outcome = super().upload(item, check_size, may_defer)
        outcome.seconds = self.seconds
        return outcome


def _two_folders(seconds: float, answers_head: bool = True) -> tuple[_Listed, _ReadBack]:
    plan = [
        PlannedUpload(LocalFile(f"{d}{n}", PurePosixPath(f"{d}{n}"), 1), f"/{d}/{n}", "https://x")
        for d in "ab"
        for n in range(8)
    ]
    collection = _Listed(plan)
    uploader = _Timed(collection, seconds, answers_head)
    _all_uploaded(plan, uploader)
    return collection, uploader.readback


def _all_uploaded(plan: list[PlannedUpload], uploader: _Timed) -> None:
    outcomes, _ = Uploads(
        plan,
        uploader,  # type: ignore[arg-type]
        concurrency=2,
        reporter=Reporter(out=io.StringIO(), err=io.StringIO()),
        check_sizes=True,
        overwrite="always",
    ).run()
    assert [o.status for o in outcomes] == ["uploaded"] * len(plan)


def test_the_last_folder_is_checked_by_head_when_that_is_sooner_than_its_listing() -> None:
    # listings took 0.02 s here; 8 HEADs two at a time, at 0.001 s each, take 0.004 s
    collection, readback = _two_folders(seconds=0.001)
    assert collection.listed == ["/a"]
    assert sorted(readback.heads) == [f"/b/{n}" for n in range(8)]


def test_the_last_folder_is_listed_when_its_heads_would_take_longer() -> None:
    # 4 rounds of HEADs at 0.05 s: 0.2 s, longer than the 0.02 s a listing took
    collection, readback = _two_folders(seconds=0.05)
    assert collection.listed == ["/a", "/b"]
    assert readback.heads == []


def test_the_last_folder_is_listed_after_all_when_the_server_answers_no_head() -> None:
    collection, readback = _two_folders(seconds=0.001, answers_head=False)
    assert collection.listed == ["/a", "/b"]  # one listing, not a listing per file
    assert len(readback.heads) == 1 and readback.heads[0].startswith("/b/")


def test_the_last_folder_is_listed_before_its_last_files_when_that_ends_sooner() -> None:
    """A big last folder: its listing leaves while its last files are sent (the late ones
    then checked by HEAD), rather than a listing or 60 HEADs after its last PUT."""
    plan = [
        PlannedUpload(LocalFile(f"{d}{n}", PurePosixPath(f"{d}{n}"), 1), f"/{d}/{n}", "https://x")
        for d, count in (("a", 8), ("b", 60))
        for n in range(count)
    ]
    collection = _Listed(plan, seconds=0.03)
    uploader = _Timed(collection, seconds=0.001, answers_head=True, sleep=0.02)
    _all_uploaded(plan, uploader)
    assert collection.listed == ["/a", "/b"]
    heads = uploader.readback.heads
    # listed with 11 to 15 rounds of PUTs to go (a listing of 0.03 s against 0.001 s a PUT)
    assert 20 < len(heads) <= 30 and len(set(heads)) == len(heads), heads
    assert all(head.startswith("/b/") for head in heads)
