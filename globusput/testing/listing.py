"""A Transfer ``ls`` answer, as Transfer pages it, and as a lying collection bends it.

Shape (``DATA``, ``path``, ``absolute_path``, ``rename_supported``, ``symlink_supported``,
``total``; entry types ``file``, ``dir``, ``invalid_symlink``): answers recorded in public code
that drives real Transfer (the facts file, section 3c). Folders over
``Collection.listing_limit`` entries are refused (observed: 502 ``SizeLimit`` at 100,000).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from globusput.testing.model import Collection, file_entry


def listing_page(
    collection: Collection, asked: str, cpath: str, target: Path, query: dict[str, list[str]]
) -> dict[str, Any] | None:
    """One page of ``target``'s entries, or None when the folder is over the limit. Hidden
    entries only when asked for (stricter than a default that shows them)."""
    hidden = query.get("show_hidden", ["false"])[0].lower() in ("true", "1")
    children = [c for c in sorted(target.iterdir()) if hidden or not c.name.startswith(".")]
    if len(children) > collection.listing_limit:
        return None
    offset = int(query.get("offset", ["0"])[0])
    limit = min(int(query.get("limit", ["100000"])[0]), 100000)
    entries = [file_entry(child) for child in children[offset : offset + limit]]
    entries = _lies(collection, cpath, entries) if offset == 0 else entries
    return {
        "DATA_TYPE": "file_list",
        "DATA": entries,
        "path": asked,  # as asked for ("/~/"); absolute_path says where that is
        "absolute_path": cpath if collection.home is not None else None,
        "rename_supported": collection.rename_supported,
        "symlink_supported": True,
        "endpoint": collection.id,
        "length": len(entries),
        "total": len(children),
        "offset": offset,
        "limit": limit,
    }


def _lies(
    collection: Collection, cpath: str, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What a lying collection adds to a folder's listing (see ``Collection.planted``)."""
    folder = cpath.rstrip("/") or "/"
    for entry in entries:
        claimed = collection.listed_sizes.get(f"{folder.rstrip('/')}/{entry['name']}")
        if claimed is not None:
            entry["size"] = claimed
    entries += collection.planted.get(folder, [])
    if collection.self_containing:
        entries.append({"DATA_TYPE": "file", "name": "loop", "type": "dir", "size": 0})
    return entries
