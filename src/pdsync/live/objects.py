"""Which webhook object feeds which replica stream."""

from __future__ import annotations

from collections.abc import Iterable

from pdsync.catalog.registry import CATALOG
from pdsync.errors import ConfigError

# webhook v2 ``event_object`` -> the stream whose table holds its records
STREAM_OF: dict[str, str] = {
    "deal": "deals",
    "person": "persons",
    "organization": "organizations",
    "activity": "activities",
    "product": "products",
    "lead": "leads",
    "note": "notes",
    "pipeline": "pipelines",
    "stage": "stages",
    "user": "users",
}
OBJECT_OF: dict[str, str] = {stream: obj for obj, stream in STREAM_OF.items()}
DEFAULT_STREAMS = ("deals", "persons", "organizations", "activities", "products", "leads")


def resolve_streams(names: Iterable[str]) -> tuple[str, ...]:
    """The streams to follow (default: the six main objects), checked against the catalog."""
    chosen = tuple(dict.fromkeys(names)) or DEFAULT_STREAMS
    for name in chosen:
        if name not in OBJECT_OF or name not in CATALOG:
            raise ConfigError(
                f"{name!r} cannot be followed by webhooks.",
                hint=f"Streams with webhooks: {', '.join(sorted(OBJECT_OF))}.",
            )
    return chosen
