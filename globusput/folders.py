"""The collection's folders during one run: which are known to exist, and making the missing
ones, each once, whichever thread asks.

Asking Transfer first about every folder would cost a slow call per folder, so a file's own
PUT finds out (the smallest file of each folder goes first, see
:func:`globusput.plans.upload_order`): an answer that may mean "no such folder" has the folder
made, with its parents where they are missing too, and the file sent again. Files too big to
send on the chance make their folder first. While Transfer makes a folder, the files waiting
for it step aside (:class:`~globusput.errors.FolderPending`) so that workers move on.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from globusput.collection import TRANSFER_THREADS
from globusput.errors import (
    DestinationError,
    FolderPending,
    GlobusputError,
    Permanent,
    file_in_the_way,
)

if TYPE_CHECKING:
    from globusput.collection import Collection, FolderState
    from globusput.paths import Destination

#: Up to this size a file's own PUT finds out whether its folder exists; bigger files ask
#: Transfer first rather than send megabytes into a folder that may not be there.
PROBE_LIMIT = 4 << 20


class Folders:
    """Folders of one collection, as far as this run knows them; safe from many threads."""

    def __init__(self, collection: Collection, make_folders: bool = True) -> None:
        self.collection = collection
        self.make_folders = make_folders  #: False with --no-mkdir
        self._lock = threading.Lock()
        self._cells: dict[str, Future[FolderState]] = {}  #: made, or known to exist
        self._making: dict[str, Future[FolderState]] = {}  #: being made on a helper thread
        self._file_not_folder: dict[str, bool] = {}
        #: a folder's first file, finding out whether it exists, by folder: (plan index, done)
        self._probes: dict[str, tuple[int, Future[None]]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self.note("/")

    # -- what is known -------------------------------------------------------------------
    def note(self, folder: str) -> None:
        """A file was stored in ``folder``: it and its parents exist, no mkdir needed."""
        with self._lock:
            while folder not in self._cells:
                cell: Future[FolderState] = Future()
                cell.set_result("existed")
                self._cells[folder] = cell
                folder = posixpath.dirname(folder)

    def known(self, folder: str) -> bool:
        with self._lock:
            cell = self._cells.get(folder)
        if cell is None or not cell.done() or cell.exception() is not None:
            return False
        return cell.result() != "refused"

    def is_a_file(self, folder: str) -> bool:
        """Transfer says the folder exists, yet a PUT found none: a file of that name?
        Asked once per folder."""
        if folder not in self._file_not_folder:
            entry = self.collection.stat(folder)
            self._file_not_folder[folder] = entry is not None and entry.get("type") == "file"
        return self._file_not_folder[folder]

    def refuse_folder_as_file(self, destination: Destination) -> None:
        """The seed's matrix: ``data`` when /data is a folder fails and suggests ``data/``."""
        if destination.is_folder:
            return
        entry = self.collection.stat(destination.path)
        if entry is not None and entry.get("type") == "dir":
            text = destination.text.rstrip("/")
            raise DestinationError(
                f"destination {text!r} is an existing folder on the collection: to upload into "
                f"it use {text + '/'!r}, or name the file, e.g. {text + '/' + 'NAME'!r}"
            )

    def problems(self, listed: Mapping[str, object | None]) -> dict[str, str]:
        """What a run would find wrong with the folders ``listed`` (None: not there), read
        only, for a dry run: a missing folder with ``--no-mkdir``, or one that would be made
        below a file. One ``stat`` per missing level, up to the first that exists."""
        found: dict[str, str] = {}
        stats: dict[str, dict[str, Any] | None] = {}

        def stat(path: str) -> dict[str, Any] | None:
            if path not in stats:
                stats[path] = self.collection.stat(path)
            return stats[path]

        for folder, entries in sorted(listed.items()):
            if entries is not None or not self.collection.allowed("ls", folder):
                continue
            if not self.make_folders:
                found[folder] = (
                    f"the folder {folder}/ is missing, and --no-mkdir is set: create it first, "
                    "or leave folder creation on"
                )
                continue
            above = posixpath.dirname(folder)
            while above != "/" and (entry := stat(above)) is None:
                above = posixpath.dirname(above)
            if above != "/" and entry is not None and entry.get("type") != "dir":
                found[folder] = (
                    f"cannot create {folder}/: {above} on the collection is a file, not a "
                    "folder; choose another destination, or remove that file"
                )
        return found

    # -- making --------------------------------------------------------------------------
    def make(self, folder: str, probe: bool = False) -> FolderState:
        """``mkdir -p`` once per folder per run, whichever thread asks first.

        Threads asking for a folder that another thread is making wait for that answer, so a
        folder costs one mkdir, never one per file. ``probe``: the folder is not known to be
        missing (a parent on the way), so it is looked up before it is made.
        """
        folder = posixpath.normpath(folder) if folder != "/" else "/"
        with self._lock:
            cell = self._cells.get(folder)
            owner = cell is None
            if cell is None:
                cell = self._cells[folder] = Future()
        if not owner:
            return cell.result()
        try:
            state = self._mkdir_p(folder, probe)
        except BaseException as exc:
            with self._lock:
                del self._cells[folder]  # the next asker tries again
            cell.set_exception(exc)
            raise
        cell.set_result(state)
        return state

    def _mkdir_p(self, folder: str, probe: bool) -> FolderState:
        """Parents first, and never learnt from a refused mkdir: a parent this run knows
        needs nothing; one below a folder this run made is new and is made; any other is
        looked up once (``stat``), made only when missing. Then one mkdir."""
        if probe and not self._made_above(folder):
            entry = self.collection.stat(folder)
            if entry is None and not self.collection.allowed("stat", folder):
                return "existed"  # not to be looked up: taken to exist, the mkdir below tells
            if entry is not None:
                if entry.get("type") == "dir":
                    return "existed"
                raise DestinationError(str(file_in_the_way(folder)))
        parent = posixpath.dirname(folder)
        known = parent == folder or self.known(parent)
        if not known and self.make(parent, probe=True) == "refused":
            return "refused"
        state = self.collection.mkdir(folder)
        if isinstance(state, GlobusputError):
            raise state
        return state

    def _made_above(self, folder: str) -> bool:
        """Whether this run made a folder above ``folder``: then it is new too."""
        with self._lock:
            while folder != "/":
                folder = posixpath.dirname(folder)
                cell = self._cells.get(folder)
                done = cell is not None and cell.done() and not cell.exception()
                if done and cell is not None and cell.result() == "created":
                    return True
        return False

    # -- an upload's questions -----------------------------------------------------------
    def before_put(self, folder: str, size: int, may_defer: bool) -> None:
        """A big file's folder is made before the file is sent (or the file steps aside)."""
        if self.make_folders and size > PROBE_LIMIT and not self.known(folder):
            if may_defer:
                raise FolderPending(folder)
            self.make(folder)

    def resend_after(self, folder: str, refusal: Exception, may_defer: bool) -> bool:
        """After an answer that may mean "no such folder": True if this run had to make it
        (now, or while the PUT was on its way), so the PUT is worth repeating at once."""
        if not self.make_folders:
            return False
        if may_defer and not self.known(folder):
            raise FolderPending(folder, refusal)
        state = self.make(folder)
        if state == "created":
            return True
        if state == "existed" and self.is_a_file(folder):
            raise file_in_the_way(folder)
        return False

    def first_of(self, folder: str, index: int) -> Future[None] | None:
        """One file finds out whether a folder this run knows nothing of exists; the others
        of that folder wait for its answer (returned: resend them when it is done) instead of
        each sending a PUT that may be refused. None: go ahead."""
        with self._lock:
            if folder in self._cells:
                return None  # known, or being made: as usual
            owner, answer = self._probes.setdefault(folder, (index, Future()))
        return None if owner == index or answer.done() else answer

    def answered(self, folder: str, index: int) -> None:
        """The folder's first file has its answer (stored, failed, or waiting for the folder
        to be made): the files waiting for it go, whatever it was."""
        with self._lock:
            owner, answer = self._probes.get(folder, (-1, None))
        if owner == index and answer is not None and not answer.done():
            answer.set_result(None)

    def waiting(self, folder: str) -> bool:
        """Whether ``folder`` is being made on a helper thread right now."""
        with self._lock:
            making = self._making.get(folder)
        return making is not None and not making.done()

    def then(
        self,
        pending: FolderPending,
        resend: Callable[[], None],
        fail: Callable[[Exception], None],
    ) -> None:
        """Make the folder on a helper thread, then ``resend`` the file, or ``fail`` it when
        the folder was there all along (the PUT's refusal was the answer). A failure to make
        the folder lands on the file's next try, with its message."""
        folder = pending.folder
        with self._lock:
            making = self._making.get(folder)
            if making is None:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(TRANSFER_THREADS, thread_name_prefix="mkdir")
                making = self._making[folder] = self._pool.submit(self.make, folder)

        def decide(made: Future[FolderState]) -> None:
            failure: Permanent | None = pending.failure
            if failure is None or made.exception() is not None or made.result() == "created":
                resend()
            else:
                fail(file_in_the_way(folder) if self.is_a_file(folder) else failure)

        making.add_done_callback(decide)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
