"""Folders of one run: each made once whoever asks, parents first when missing, and what a
refused PUT means once Transfer has answered about its folder."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest

from globusput.collection import Collection
from globusput.errors import FolderPending, GlobusputError, Permanent, ServiceError
from globusput.folders import Folders


class Transfer:
    """mkdir answers by folder; a folder whose parent is not made yet is refused."""

    def __init__(self, existing: set[str] = frozenset({"/"}), refuse: bool = False) -> None:  # type: ignore[assignment]
        self.existing = set(existing)
        self.refuse = refuse
        self.calls: list[str] = []
        self.entries: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def mkdir(self, folder: str) -> Any:
        time.sleep(0.01)  # far away: other threads ask meanwhile
        with self.lock:
            self.calls.append(folder)
            if self.refuse:
                return "refused"
            if folder in self.existing:
                return "existed"
            if folder.rpartition("/")[0] or "/" not in self.existing:
                parent = folder.rpartition("/")[0] or "/"
                if parent not in self.existing:
                    return ServiceError(f"create folder {folder}: 404 NotFound")
            self.existing.add(folder)
            return "created"

    def stat(self, path: str) -> dict[str, Any] | None:
        return self.entries.get(path)

    def allowed(self, operation: str, path: str) -> bool:
        return True


def folders(transfer: Transfer, make: bool = True) -> Folders:
    return Folders(cast(Collection, transfer), make)


def test_a_folder_is_made_once_however_many_threads_ask() -> None:
    transfer = Transfer()
    owner = folders(transfer)
    threads = [threading.Thread(target=owner.make, args=("/a",)) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert transfer.calls == ["/a"] and owner.known("/a")


def test_missing_parents_are_made_first_and_no_mkdir_is_refused() -> None:
    transfer = Transfer()
    assert folders(transfer).make("/a/b/c") == "created"
    assert transfer.calls == ["/a", "/a/b", "/a/b/c"]  # parents looked up, then made in order


def test_siblings_below_a_new_folder_cost_one_mkdir_each_and_one_lookup_in_all() -> None:
    """Ten new folders below one new folder, asked for at once: 11 mkdirs, none refused,
    and the new parent looked up once (its children are known new: no lookups)."""
    transfer = Transfer()
    looked: list[str] = []
    stat = transfer.stat
    transfer.stat = lambda path: looked.append(path) or stat(path)  # type: ignore[method-assign]
    owner = folders(transfer)
    names = [f"/n/{c}" for c in "abcdefghij"]
    threads = [threading.Thread(target=owner.make, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(transfer.calls) == sorted(["/n", *names]) and looked == ["/n"]


def test_an_existing_parent_is_found_by_one_lookup_not_made() -> None:
    transfer = Transfer(existing={"/", "/deep", "/deep/er"})
    transfer.entries["/deep/er"] = {"type": "dir"}
    assert folders(transfer).make("/deep/er/new") == "created"
    assert transfer.calls == ["/deep/er/new"]


def test_a_file_in_the_way_of_a_parent_is_said() -> None:
    transfer = Transfer(existing={"/", "/f.txt"})
    transfer.entries["/f.txt"] = {"type": "file"}
    with pytest.raises(GlobusputError, match=r"/f\.txt on the collection is a file"):
        folders(transfer).make("/f.txt/sub")
    assert transfer.calls == []


def test_refused_operations_say_so_and_a_stored_file_proves_its_folders() -> None:
    owner = folders(Transfer(refuse=True))
    assert owner.make("/a") == "refused" and not owner.known("/a")
    owner.note("/x/y")
    assert owner.known("/x/y") and owner.known("/x")


def test_after_a_refused_put_a_new_folder_means_send_again() -> None:
    """Every file refused while the folder was missing goes again; one mkdir for all."""
    transfer = Transfer()
    owner = folders(transfer)
    assert owner.resend_after("/a", Permanent("409"), may_defer=False)
    assert owner.resend_after("/a", Permanent("409"), may_defer=False)
    assert transfer.calls == ["/a"]
    assert not folders(Transfer(existing={"/", "/a"})).resend_after("/a", Permanent("x"), False)


def test_a_file_where_the_folder_should_be_is_said() -> None:
    transfer = Transfer(existing={"/", "/a"})
    transfer.entries["/a"] = {"type": "file"}
    with pytest.raises(Permanent, match="/a on the collection is a file, not a folder"):
        folders(transfer).resend_after("/a", Permanent("409"), may_defer=False)


def test_without_mkdir_nothing_is_made_and_a_worker_may_step_aside() -> None:
    transfer = Transfer()
    assert not folders(transfer, make=False).resend_after("/a", Permanent("409"), False)
    assert transfer.calls == []
    with pytest.raises(FolderPending) as pending:
        folders(transfer).resend_after("/a", Permanent("409"), may_defer=True)
    assert pending.value.folder == "/a" and pending.value.failure is not None


def test_big_files_have_their_folder_made_before_they_are_sent() -> None:
    transfer = Transfer()
    owner = folders(transfer)
    owner.before_put("/small", 10, may_defer=False)
    owner.before_put("/big", 100 << 20, may_defer=False)
    assert transfer.calls == ["/big"]


@pytest.mark.parametrize(
    ("existing", "failure", "resent"),
    [
        ({"/"}, Permanent("409"), True),  # missing: made, the file goes again
        ({"/", "/a"}, Permanent("409"), False),  # there all along: the refusal stands
        ({"/", "/a"}, None, True),  # the file only waited for the folder
    ],
)
def test_a_file_that_stepped_aside_goes_again_or_fails_with_its_refusal(
    existing: set[str], failure: Permanent | None, resent: bool
) -> None:
    owner = folders(Transfer(existing=existing))
    done = threading.Event()
    said: list[str] = []

    def fail(exc: Exception) -> None:
        said.append(str(exc))
        done.set()

    owner.then(FolderPending("/a", failure), lambda: (said.append("again"), done.set()), fail)
    assert done.wait(5)
    owner.close()
    assert said == (["again"] if resent else ["409"])


def test_a_folder_that_cannot_be_made_raises_its_error() -> None:
    class Broken(Transfer):
        def mkdir(self, folder: str) -> Any:
            self.calls.append(folder)
            return ServiceError("create folder: 500")

    with pytest.raises(GlobusputError, match="500"):
        folders(Broken()).make("/a")
