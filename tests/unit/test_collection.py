"""What Transfer's answers are read as, without the network."""

from __future__ import annotations

from globusput.collection import RemoteEntry


def test_listing_entries_are_read_as_globus_writes_them() -> None:
    entry = RemoteEntry.from_listing(
        {"type": "file", "size": 42, "last_modified": "2026-01-02 03:04:05+00:00"}
    )
    assert entry == RemoteEntry(True, 42, 1767323045.0)
    assert RemoteEntry.from_listing({"type": "dir", "last_modified": "garbage"}) == RemoteEntry(
        False, 0, None
    )
