"""Every Pipedrive stream pdsync replicates, declared as data.

Each entry states only what differs from the defaults of :class:`StreamSpec`
(API v2, primary key ``id``, cursor pagination with ``limit=500``, full refresh,
deletes found by id reconciliation). Paths, params and versions are checked
against Pipedrive's OpenAPI specs by ``tests/unit/catalog/test_registry.py``.
"""

from __future__ import annotations

from pdsync.catalog.streams import StreamSpec
from pdsync.catalog.streams_access import ACCESS_STREAMS
from pdsync.catalog.streams_crm import CRM_STREAMS
from pdsync.catalog.streams_history import HISTORY_STREAMS
from pdsync.catalog.streams_work import WORK_STREAMS
from pdsync.errors import ConfigError

STREAMS: tuple[StreamSpec, ...] = CRM_STREAMS + WORK_STREAMS + HISTORY_STREAMS + ACCESS_STREAMS

CATALOG: dict[str, StreamSpec] = {spec.name: spec for spec in STREAMS}

# entity -> the stream listing its field definitions (leads use the deal fields).
FIELDS_STREAMS: dict[str, str] = {
    "deal": "deal_fields",
    "person": "person_fields",
    "organization": "organization_fields",
    "product": "product_fields",
    "activity": "activity_fields",
    "note": "note_fields",
    "project": "project_fields",
}


def get_stream(name: str) -> StreamSpec:
    """The stream called ``name``; a :class:`ConfigError` naming the valid ones otherwise."""
    spec = CATALOG.get(name)
    if spec is None:
        raise ConfigError(
            f"Unknown stream {name!r}.",
            hint=f"Run `pdsync discover --offline` to list streams; known: {', '.join(CATALOG)}.",
        )
    return spec


def children_of(parent: str) -> tuple[StreamSpec, ...]:
    """Streams read per record of ``parent``."""
    return tuple(s for s in STREAMS if s.parent is not None and s.parent.stream == parent)
