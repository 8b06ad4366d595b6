"""Window planning for a first sync whose records are dense at the recent end."""

from __future__ import annotations

import bisect
import itertools
import random
from datetime import datetime, timedelta, timezone

from pdsync.sync.windows import equal_count_edges, two_ended_estimate

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
YEARS = 5 * 365 * 86400


def skewed_times(n: int) -> list[datetime]:
    """Whole-second update times, density growing with the square of time (a growing account)."""
    rng = random.Random(4)
    return sorted(T0 + timedelta(seconds=int(YEARS * rng.random() ** (1 / 3))) for _ in range(n))


def test_windows_hold_about_equal_counts_on_skewed_history() -> None:
    times = skewed_times(100_000)
    end = times[-1] + timedelta(seconds=1)
    head = (times[0], times[499], 500)  # the first page, oldest first
    tail = (times[-100], times[-1], 100)  # the newest-records sample
    records, d_head, d_tail = two_ended_estimate(head, tail, end)
    assert 0.5 * len(times) < records < 2 * len(times)
    edges = equal_count_edges(head[1], tail[0], end, d_head, d_tail, 8)
    assert edges == sorted(edges) and edges[0] == head[1] and edges[-1] == end
    counts = [
        bisect.bisect_left(times, b) - bisect.bisect_left(times, a)
        for a, b in itertools.pairwise(edges)
    ]
    # Equal *time* windows would put most records in the last one; these stay balanced.
    assert max(counts) < 1.5 * (sum(counts) / len(counts)), counts  # equal times: 2.25
