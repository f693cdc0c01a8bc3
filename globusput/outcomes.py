"""How one file's move ended, in either direction: the record every report is made from.

Kept apart from the movers so that reporting, the manifest and the worker pool can speak of
outcomes without importing the HTTP stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from globusput.errors import FilesFailed

#: uploads end uploaded, skipped (kept on the collection), planned (dry run), submitted (to
#: a Transfer task not waited for) or failed; downloads fetched, checked (hashed only:
#: ``verify --hash``) or failed
Status = Literal["uploaded", "skipped", "planned", "submitted", "fetched", "checked", "failed"]
Item = TypeVar("Item")

#: What a file that never finished says, by why.
CANCELLED = "cancelled"
INTERRUPTED = "interrupted before it finished"
NOT_ATTEMPTED = "not attempted: interrupted"


@dataclass
class Outcome(Generic[Item]):
    item: Item
    status: Status
    sha256: str | None = None
    error: str | None = None
    auth_failure: bool = False
    attempts: int = 0
    seconds: float = 0.0
    size: int = 0  #: bytes that arrived (downloads)
    mismatch: bool = False  #: the copy's SHA-256 is not the recorded one (downloads)
    checked: str | None = None  #: how a skipped file was found to be there (plans.KEPT_BY)
    replaced: bool = False  #: a get replaced a local file that differed


def settle(plan: Sequence[Item], results: dict[int, Outcome[Item]]) -> list[Outcome[Item]]:
    """Every planned file's outcome, in plan order: what a signal stopped says so."""
    outcomes = [
        results.get(index) or Outcome(item, "failed", error=NOT_ATTEMPTED)
        for index, item in enumerate(plan)
    ]
    for outcome in outcomes:
        if outcome.error == CANCELLED:
            outcome.error = INTERRUPTED
    return outcomes


def failed(outcomes: Sequence[Outcome[Item]]) -> list[Outcome[Item]]:
    return [o for o in outcomes if o.status == "failed"]


def raise_if_failed(outcomes: Sequence[Outcome[Any]], error: type[FilesFailed]) -> None:
    """A run with failed files ends in ``error``: exit code 3 when any was refused access."""
    bad = failed(outcomes)
    if bad:
        raise error(
            f"{len(bad)} of {len(outcomes)} files failed; see above",
            auth=any(o.auth_failure for o in bad),
        )
