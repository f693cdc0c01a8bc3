from __future__ import annotations

import itertools

from globusput.estimates import heads_sooner, list_early, rounds


def test_heads_are_sooner_only_than_a_listing_timed_in_this_run() -> None:
    assert not heads_sooner(8, put=0.001, listing=None, concurrency=2)  # nothing to judge by
    assert heads_sooner(8, put=0.001, listing=0.02, concurrency=2)  # 4 rounds: 0.004 s
    assert not heads_sooner(8, put=0.05, listing=0.02, concurrency=2)  # 4 rounds: 0.2 s


def test_the_last_folder_is_listed_early_near_where_its_tail_is_shortest() -> None:
    # the benchmark's 200 files: 50 in the last folder, a PUT 0.036 s, a listing 0.6 s, 4 at once
    assert not list_early(14, 36, put=0.036, listing=0.6, concurrency=4)  # 9 rounds left: early
    assert list_early(18, 32, put=0.036, listing=0.6, concurrency=4)  # 8 rounds: now
    assert not list_early(18, 32, put=0.036, listing=None, concurrency=4)  # no listing timed
    # a small folder: HEADs for all its files end before any listing
    assert not list_early(1, 11, put=0.036, listing=0.6, concurrency=4)
    assert not list_early(0, 32, put=0.036, listing=0.6, concurrency=4)  # nothing to list


def test_an_early_listing_ends_before_either_check_at_the_end() -> None:
    """Wherever it says "now", the check ends sooner than the folder's listing after its last
    PUT and than a HEAD for each of its files, judged by the same figures."""
    puts, listings = (0.001, 0.01, 0.036, 0.1, 0.5), (0.02, 0.25, 0.6, 1.0, 3.0)
    chosen = 0
    for done, left, put, listing, concurrency in itertools.product(
        range(1, 120, 7), range(1, 120, 5), puts, listings, (1, 2, 4, 16)
    ):
        if not list_early(done, left, put, listing, concurrency):
            continue
        chosen += 1
        late = rounds(left, concurrency) * put
        tail = max(listing - late, late)  # after the last PUT: its answer, or the late HEADs
        assert tail < listing
        assert tail < rounds(done + left, concurrency) * put + 1e-9  # floats at equality
    assert chosen > 100
