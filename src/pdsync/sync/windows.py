"""Time windows: how many parallel partitions a big backfill of one stream deserves.

Every incremental read asks for ``updated_since <= update_time < updated_until``
sorted by ``update_time`` ascending. The engine reads a stream's first page as a
probe; if more remain, the rest of the range is split into windows
(:meth:`pdsync.sync.state.Backfill.plan`) fetched by several threads at once,
each with its own resume position in the stream's state. Each window ends with
one partial page, so windows are sized to hold a few dozen pages: the request
overhead of splitting stays within a few percent.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

# Aim for this many pages per window: the partial last page of each window is the overhead.
PAGES_PER_WINDOW = 30
PAGE_SIZE = 500


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def next_whole_second(moment: datetime) -> datetime:
    """The first whole second at or after ``moment``."""
    floor = moment.replace(microsecond=0)
    return floor if floor == moment else floor + timedelta(seconds=1)


def window_count(
    first: datetime,
    last: datetime,
    end: datetime,
    *,
    page_size: int,
    max_windows: int,
    pages_per_window: int = PAGES_PER_WINDOW,
) -> int:
    """How many windows the rest of a backfill deserves, estimated from its first page.

    The first page's ``page_size`` records span ``first..last``; assuming the same
    density over ``last..end`` gives the number of pages still to read.
    """
    if max_windows <= 1 or end <= last or page_size <= 0:
        return 1
    page_span = max((last - first).total_seconds(), 1.0)
    records_left = (end - last).total_seconds() / page_span * page_size
    pages_left = records_left / PAGE_SIZE
    return max(1, min(max_windows, int(pages_left // max(1, pages_per_window))))


def two_ended_estimate(
    first: tuple[datetime, datetime, int],
    last: tuple[datetime, datetime, int],
    end: datetime,
) -> tuple[float, float, float]:
    """Records between two sample pages, and the densities (records/s) at both ends.

    ``first`` is the oldest page of the range (``start, end, records``), ``last`` a
    sample of its newest records. Accounts grow, so records are usually much denser
    at the recent end than at the start: a density taken from the first page alone
    underestimates the rest. Between the samples the density is taken as linear.
    """
    d_first = first[2] / max((first[1] - first[0]).total_seconds(), 1.0)
    d_last = last[2] / max((last[1] - last[0]).total_seconds(), 1.0)
    middle = max((last[0] - first[1]).total_seconds(), 0.0)
    records = (
        (d_first + d_last) / 2 * middle
        + last[2]
        + max(0.0, (end - last[1]).total_seconds()) * d_last
    )
    return records, d_first, d_last


def equal_count_edges(
    lo: datetime, hi: datetime, end: datetime, d_lo: float, d_hi: float, parts: int
) -> list[datetime]:
    """Edges of ``parts`` windows over ``[lo, end)`` holding about as many records each.

    The density rises linearly from ``d_lo`` at ``lo`` to ``d_hi`` at ``hi`` and stays
    at ``d_hi`` up to ``end``; each edge is where the cumulative count reaches the
    next equal share (the inverse of the quadratic cumulative count).
    """
    span = max((hi - lo).total_seconds(), 0.0)
    slope = (d_hi - d_lo) / span if span else 0.0
    at_hi = d_lo * span + slope * span * span / 2
    total = at_hi + d_hi * max((end - hi).total_seconds(), 0.0)
    edges = [lo]
    for index in range(1, max(parts, 1)):
        target = total * index / parts
        if target <= at_hi and slope:
            offset = (-d_lo + math.sqrt(d_lo * d_lo + 2 * slope * target)) / slope
        elif target <= at_hi:
            offset = target / d_lo if d_lo else span
        else:
            offset = span + (target - at_hi) / d_hi if d_hi else span
        edges.append(lo + timedelta(seconds=offset))
    edges.append(end)
    return edges
