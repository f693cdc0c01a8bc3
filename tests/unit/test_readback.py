from __future__ import annotations

import time
from pathlib import PurePosixPath

from globusput.plans import PlannedUpload
from globusput.readback import ReadBack
from globusput.remote import RemoteEntry
from globusput.selection import LocalFile


class _Collection:
    def __init__(self) -> None:
        self.listed: list[str] = []

    def listing(self, folder: str) -> dict[str, RemoteEntry]:
        self.listed.append(folder)
        return {"a.bin": RemoteEntry(True, 3, None)}

    def allowed(self, operation: str, path: str) -> bool:
        return True


def test_a_listing_made_for_one_file_tells_only_of_files_stored_before_it_was_asked() -> None:
    collection = _Collection()
    readback = ReadBack(None, collection)  # type: ignore[arg-type]
    readback.head = False  # the server answers no HEAD: sizes come from listings
    item = PlannedUpload(LocalFile("a.bin", PurePosixPath("a.bin"), 3), "/d/a.bin", "https://x")
    before = time.monotonic()
    assert readback.problem(item) is None
    after = time.monotonic()
    assert collection.listed == ["/d"]
    assert readback.listed_since("/d", before) == {"a.bin": RemoteEntry(True, 3, None)}
    assert readback.listed_since("/d", after) is None  # files stored since: not in it
    assert readback.listed_since("/e", before) is None
