"""Destination URLs: ``scheme://[user[:password]@]host/path?options``.

SQLite follows SQLAlchemy's convention, so existing habits carry over:

- ``sqlite:///pipedrive.db``   → ``pipedrive.db`` relative to the working directory
- ``sqlite:////data/pd.db``    → the absolute path ``/data/pd.db``
- ``sqlite:///~/pd.db``        → ``~`` is expanded to the home directory
- ``sqlite:///:memory:``       → an in-memory database (tests, experiments)
- ``pipedrive.db`` (no scheme) → a path ending in ``.db``, ``.sqlite`` or ``.sqlite3``
  is read as ``sqlite:///<path>``
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from pdsync.errors import ConfigError
from pdsync.redact import redact, register_secret

__all__ = ["DEFAULT_TARGET", "DestinationUrl", "parse_destination_url"]

DEFAULT_TARGET = "sqlite:///pipedrive.db"

_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@dataclass(frozen=True)
class DestinationUrl:
    """A parsed target URL. ``raw`` keeps the password; ``safe`` is for display."""

    scheme: str
    raw: str = field(repr=False)
    path: str  # the URL's path, percent-decoded ("" when none)
    host: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def safe(self) -> str:
        return redact(self.raw)

    def __repr__(self) -> str:
        return f"DestinationUrl({self.safe!r})"


def parse_destination_url(url: str | None) -> DestinationUrl:
    """Parse a target; ``None`` or ``""`` means the default ``sqlite:///pipedrive.db``."""
    text = (url or DEFAULT_TARGET).strip()
    if "://" not in text:
        if text.lower().endswith(_SQLITE_SUFFIXES):
            text = "sqlite:///" + text
        else:
            raise ConfigError(
                f"Not a destination URL: {redact(text)!r}.",
                hint="Use e.g. sqlite:///pipedrive.db, duckdb:///pipedrive.duckdb, "
                "postgresql://user@host/db or file:///path/to/dir?format=parquet.",
            )
    parts = urlsplit(text)
    if parts.password:
        register_secret(unquote(parts.password))
    return DestinationUrl(
        scheme=parts.scheme.lower(),
        raw=text,
        path=unquote(parts.path),
        host=parts.hostname,
        options=dict(parse_qsl(parts.query)),
    )


def sqlite_path(url: DestinationUrl) -> str:
    """The filesystem path (or ``:memory:``) of a ``sqlite:///`` URL."""
    if url.host:
        raise ConfigError(
            f"A SQLite URL has no host: {url.safe!r}.",
            hint="Use three slashes for a relative path (sqlite:///pipedrive.db) "
            "and four for an absolute one (sqlite:////data/pipedrive.db).",
        )
    path = url.path[1:] if url.path.startswith("/") else url.path
    if not path:
        raise ConfigError(
            f"The SQLite URL {url.safe!r} names no file.",
            hint="Use e.g. sqlite:///pipedrive.db.",
        )
    if path == ":memory:":
        return path
    return os.path.expanduser(path)
