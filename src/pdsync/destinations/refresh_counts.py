"""Honest counts for a full refresh, taken against the LIVE table at ``replace_commit``.

Staging starts empty, so counting each refresh batch against it would report every row
as inserted, even on the hundredth refresh of an unchanged table. Instead the staged
batches report nothing, and ``replace_commit`` compares staging with the live table just
before the swap: staged keys already live are *updated*, the others *inserted*, and
live rows (not already marked deleted) that the refresh does not carry are *deleted* —
the swap removes them. The same three SQL statements serve SQLite, DuckDB and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["RefreshCounts", "refresh_count_sql", "refresh_counts"]


@dataclass(frozen=True)
class RefreshCounts:
    inserted: int
    updated: int
    removed: int


def refresh_count_sql(
    live: str, staging: str, key: Sequence[str], deleted: str, q: Callable[[str], str]
) -> tuple[str, str, str]:
    """Statements giving: staged rows; (live keys staged, of them alive); alive live rows."""
    staged = f"SELECT COUNT(*) FROM {q(staging)}"
    alive = f"SELECT COUNT(*) FROM {q(live)} WHERE {q(deleted)} IS NULL"
    if not key:  # keyless: every staged row is new, every live row goes
        return staged, "SELECT 0, 0", alive
    on = " AND ".join(f"l.{q(k)} = s.{q(k)}" for k in key)
    matched = (
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE l.{q(deleted)} IS NULL) "
        f"FROM {q(staging)} s JOIN {q(live)} l ON {on}"
    )
    return staged, matched, alive


def refresh_counts(
    run: Callable[[str], Sequence[Sequence[object]]], sql: tuple[str, str, str]
) -> RefreshCounts:
    """Run :func:`refresh_count_sql`'s statements with ``run`` (returns rows) and combine."""
    staged = int(str(run(sql[0])[0][0]))
    matched_row = run(sql[1])[0]
    matched, matched_alive = int(str(matched_row[0])), int(str(matched_row[1] or 0))
    alive = int(str(run(sql[2])[0][0]))
    return RefreshCounts(staged - matched, matched, alive - matched_alive)
