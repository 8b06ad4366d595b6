"""Random pages of a list, for ``pdsync verify --sample N``.

A page is drawn where the API lets one be addressed without walking to it:

- v1 offset lists: ``start = k × limit`` for N distinct random ``k``;
- lists with ``updated_since``: a time window holding about one page of the replica's
  rows (bounds read from the replica's ``update_time`` values at ``k × limit``), of
  which the first page is read (``updated_until`` closes the window where the
  endpoint has it);
- anything else (opaque cursors with no time filter): the first N pages.

Every record a sampled page lists must be in the replica; what the sample did not
read proves nothing, and the report says it was a sample.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import islice
from typing import Any

from pdsync.catalog.streams import StreamSpec
from pdsync.sync.state import format_instant
from pdsync.verify.listing import ListedPage, PageWalker


def sample_pages(
    spec: StreamSpec,
    walker: PageWalker,
    params: dict[str, Any],
    values: list[str],
    *,
    pages: int,
    estimated: int,
    rng: random.Random,
) -> Iterator[ListedPage]:
    picks = sorted(rng.sample(range(estimated), min(pages, estimated)))
    if spec.pagination == "offset":
        for k in picks:
            yield walker.offset_page(spec, params, k * spec.page_limit)
        return
    inc = spec.incremental
    if inc is None or not values:
        yield from islice(walker.walk(spec, params), pages)
        return
    for k in picks:
        start = min(k * spec.page_limit, len(values) - 1)
        window = {**params, inc.since_param: format_instant(values[start])}
        end = start + spec.page_limit
        if inc.until_param and end < len(values) and values[end] != values[start]:
            window[inc.until_param] = format_instant(values[end])
        yield walker.first_page(spec, window)
