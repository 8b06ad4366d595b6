"""Which primary keys a files-destination table holds, kept in memory between batches.

Counting inserted vs updated, refusing duplicate keys in ``append`` and writing
tombstones only for live rows all need "does this key exist, and is it alive?". Asking
DuckDB means reading every batch file's key column back — the cost that made Parquet
updates slower than SQLite. Instead each table's keys are read ONCE (on the first
batch after opening) into a :class:`KeyIndex` and then kept current from the batches
themselves, after each manifest commit. Keys are compared as text (``str`` of each
part), which is how the files hold them whatever the column type.

Memory: about 100 bytes per key (10 MB per 100,000 rows), held only by a writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pdsync.destinations.files_manifest import BatchFile, TableEntry
from pdsync.destinations.files_view import table_sql
from pdsync.destinations.identifiers import quote
from pdsync.errors import DestinationError
from pdsync.schema import DELETED_AT

__all__ = ["KeyIndex", "TextKey", "as_key", "text_keys"]

TextKey = tuple[str, ...]


def as_key(value: Any, width: int) -> tuple[Any, ...]:
    """A deleted id as a key tuple (a bare value for a one-column key)."""
    key = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(key) != width:
        raise DestinationError(
            f"Deleted id {value!r} does not match a {width}-column primary key.",
            hint="Pass composite keys as tuples in primary-key order.",
        )
    return key


def text_keys(keys: Iterable[tuple[Any, ...]]) -> list[TextKey]:
    return [tuple(map(str, k)) for k in keys]


class KeyIndex:
    """Key (as text) -> alive (not marked deleted), for one table's live or staged files."""

    def __init__(self, alive: dict[TextKey, bool] | None = None) -> None:
        self.alive: dict[TextKey, bool] = alive if alive is not None else {}

    @classmethod
    def read(
        cls, db: Any, entry: TableEntry, folder: Path, fmt: str, files: Sequence[BatchFile]
    ) -> KeyIndex:
        """Every key of ``files`` (latest-wins view) with whether its row is alive."""
        if not files or not entry.primary_key:
            return cls()
        view = table_sql(entry, folder, fmt, files, only=(DELETED_AT,))
        keys = ", ".join(quote(entry.physical[k]) for k in entry.primary_key)
        alive = f"{quote(entry.physical[DELETED_AT])} IS NULL"
        rows = db.execute(f"SELECT {keys}, {alive} FROM ({view})").fetchall()
        return cls({tuple(str(x) for x in r[:-1]): bool(r[-1]) for r in rows})

    def __contains__(self, key: object) -> bool:
        return key in self.alive

    def updated(
        self, upserts: Sequence[TextKey], marks: Sequence[Any], tombstones: Sequence[TextKey]
    ) -> KeyIndex:
        """A copy with a committed batch applied: its rows (alive unless they carry a
        ``_pdsync_deleted_at``), then its tombstones."""
        alive = dict(self.alive)
        alive.update(zip(upserts, (m is None for m in marks), strict=True))
        alive.update((k, False) for k in tombstones)
        return KeyIndex(alive)

    def compare(self, live: KeyIndex) -> tuple[int, int, int]:
        """This (staged) index against ``live``: (inserted, updated, live rows removed)."""
        updated = sum(1 for k in self.alive if k in live.alive)
        removed = sum(1 for k, ok in live.alive.items() if ok and k not in self.alive)
        return len(self.alive) - updated, updated, removed
