"""Which check of a folder's stored sizes ends soonest: one listing, or a HEAD per file.

The far side's speeds are not known beforehand, so these are judged from the run's own
timings: the median time its listings took stands for the next listing, the median time a
folder's PUTs took for a HEAD there (a PUT is a HEAD and a body, so this leans to the
listing). HEADs go ``concurrency`` at a time, in rounds. Only the run's last folder matters:
any other folder's listing runs while later files are sent, and costs no time.
"""

from __future__ import annotations


def rounds(files: int, concurrency: int) -> int:
    """How many rounds ``files`` requests take, ``concurrency`` at a time."""
    return -(-files // concurrency)


def heads_sooner(files: int, put: float, listing: float | None, concurrency: int) -> bool:
    """After the run's last PUT: whether HEADs for the last folder's ``files`` end before its
    listing would (no listing timed yet: the listing)."""
    return listing is not None and rounds(files, concurrency) * put < listing


def list_early(done: int, left: int, put: float, listing: float | None, concurrency: int) -> bool:
    """While the run's last ``left`` PUTs, all in one folder, are under way: whether the
    folder's listing should leave now for its ``done`` files, the ``left`` ones checked by
    HEAD after their PUTs.

    Sent with r rounds of PUTs to go, the listing answers ``listing - r * put`` after the
    last PUT, and the late files' HEADs take ``r * put``: the later of the two is least at
    about ``2 * r * put == listing``, so the listing leaves at the first completion past that
    point, provided that tail is shorter than HEADs for the whole folder at the end (a small
    folder's HEADs beat any listing). Never later than the listing at the end would answer.
    """
    if listing is None or left < 1 or done < 1:
        return False
    late = rounds(left, concurrency)
    return 2 * late * put <= listing < (late + rounds(done + left, concurrency)) * put
