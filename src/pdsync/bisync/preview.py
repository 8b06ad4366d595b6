"""What the pull half of a cycle would bring, for ``--dry-run``: one read per stream.

For each stream read incrementally, one page of the records Pipedrive changed since the
replica's bookmark (the same ``updated_since`` read the sync starts with) is counted;
nothing is written anywhere. A stream never synced yet would be read in full.
"""

from __future__ import annotations

from collections.abc import Sequence

from pdsync.catalog.registry import CATALOG
from pdsync.destinations import open_destination
from pdsync.push.api import PushClient


def pull_preview(client: PushClient, target: str, streams: Sequence[str]) -> list[str]:
    destination = open_destination(target, readonly=True)
    try:
        state = destination.read_state()
    finally:
        destination.close()
    lines = []
    for name in streams:
        spec = CATALOG.get(name)
        stream_state = state.streams.get(name) if spec else None
        bookmark = stream_state.bookmark if stream_state else None
        if spec is None or spec.incremental is None or bookmark is None:
            lines.append(f"  {name}: would be read in full by the sync")
            continue
        params = {spec.incremental.since_param: bookmark, "limit": spec.page_limit}
        answer = client.request("GET", spec.path, version=spec.version, params=params)
        records = answer.get("data") or []
        more = bool((answer.get("additional_data") or {}).get("next_cursor"))
        count = f"{len(records)}{'+' if more else ''}"
        lines.append(f"  {name}: {count} records changed in Pipedrive since {bookmark}")
    return lines
