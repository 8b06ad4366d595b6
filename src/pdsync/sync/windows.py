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
