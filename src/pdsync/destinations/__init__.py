"""Destinations: where replicated tables live, chosen by the target URL's scheme.

``open_destination("sqlite:///pipedrive.db")`` returns an object speaking the
:class:`~pdsync.destinations.base.Destination` protocol. Each destination's module is
imported only when its scheme is used, so a missing optional driver (DuckDB, psycopg,
pyarrow) only matters to the people who use it, and they get the exact install line.
"""

from __future__ import annotations

import importlib
from typing import Any

from pdsync.destinations.base import Batch, BatchResult, Destination, FieldRecord, WriteMode
from pdsync.destinations.urls import DEFAULT_TARGET, DestinationUrl, parse_destination_url
from pdsync.errors import ConfigError, DestinationError

__all__ = [
    "DEFAULT_TARGET",
    "DESTINATIONS",
    "Batch",
    "BatchResult",
    "Destination",
    "DestinationUrl",
    "FieldRecord",
    "WriteMode",
    "open_destination",
    "parse_destination_url",
]

# URL scheme -> "module:factory"; the factory is called as factory(url, readonly=...)
# with a parsed DestinationUrl. Add one line per destination.
DESTINATIONS: dict[str, str] = {
    "sqlite": "pdsync.destinations.sqlite:SQLiteDestination.from_url",
    "duckdb": "pdsync.destinations.duckdb:DuckDBDestination.from_url",
    "postgresql": "pdsync.destinations.postgres:PostgresDestination.from_url",
    "postgres": "pdsync.destinations.postgres:PostgresDestination.from_url",
    "file": "pdsync.destinations.files:FilesDestination.from_url",
}


def _load_factory(target: str) -> Any:
    module_name, _, attr_path = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for attr in attr_path.split("."):
        obj = getattr(obj, attr)
    return obj


def open_destination(url: str | None = None, *, readonly: bool = False) -> Destination:
    """Open (creating it if needed, unless ``readonly``) the destination at ``url``.

    ``None`` means the default target, ``sqlite:///pipedrive.db``.
    """
    parsed = parse_destination_url(url)
    target = DESTINATIONS.get(parsed.scheme)
    if target is None:
        raise ConfigError(
            f"Unknown destination scheme {parsed.scheme!r} in {parsed.safe!r}.",
            hint=f"Supported schemes: {', '.join(sorted(DESTINATIONS))}.",
        )
    destination = _load_factory(target)(parsed, readonly=readonly)
    if not isinstance(destination, Destination):
        raise DestinationError(f"{target} did not return a destination.")
    return destination
