"""The stand-in's distance options (``--latency``, ``--transfer-rate``)."""

from __future__ import annotations

import pytest

from globusput.testing.standin import RateLimit, parse_latency, parse_rate


def test_latency_presets_and_subsets() -> None:
    assert parse_latency("globus") == {"auth": 0.15, "transfer": 0.25, "op": 0.6, "data": 0.03}
    assert parse_latency("op=1, data=0.5") == {"op": 1.0, "data": 0.5}


@pytest.mark.parametrize("text", ["op", "ftp=1", "op=-1", "op=x", "op=61"])
def test_bad_latency_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_latency(text)


def test_rates() -> None:
    assert parse_rate("20/10s") == (20, 10.0)
    assert parse_rate("20/s") == (20, 1.0)
    for bad in ("0/1s", "20", "x/1s"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_rate_limit_counts_refused_requests_in_the_window() -> None:
    limit = RateLimit(2, 3600.0)
    assert [limit.admit() == 0 for _ in range(4)] == [True, True, False, False]
    assert 0 < limit.admit() <= 3600
