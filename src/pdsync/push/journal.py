"""The push journal: a SQLite file that makes a push resumable and writes happen once.

Before a write is sent its row is marked ``sending`` and committed; after the answer
it is marked ``done`` with the record id. A rerun of the same file skips rows already
``done`` (same row number, same content). A row left ``sending`` by a crash is
checked by reading back before anything is sent again (see :mod:`pdsync.push.apply`).
A dry run opens the journal inside a transaction that is rolled back: it reads what
earlier runs did but leaves no trace.

The journal lives next to the input (``people.csv.persons-upsert.pdsync-journal``) or,
when that folder is not writable or the input is standard input, in pdsync's state
folder (``$XDG_STATE_HOME/pdsync/push``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdsync.errors import ConfigError, StateError
from pdsync.push.payload import Change
from pdsync.push.plan import PlanItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    row_number INTEGER PRIMARY KEY,
    row_hash TEXT NOT NULL,
    match_key TEXT,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    record_id TEXT,
    body TEXT,
    changes TEXT,
    merge_with TEXT,
    message TEXT NOT NULL DEFAULT '',
    key_value TEXT,
    sent_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run INTEGER NOT NULL,
    parent_id TEXT
);
CREATE INDEX IF NOT EXISTS rows_match_key ON rows (match_key);
"""


@dataclass(frozen=True)
class Previous:
    """What an earlier run recorded for a row."""

    row_hash: str
    status: str
    action: str
    record_id: Any
    body: dict[str, Any] | None
    sent_at: float | None
    merge_with: Any
    parent_id: Any = None


def default_journal_path(source: str, object_name: str, mode: str) -> Path:
    """Next to the input when its folder is writable, else in the user's state folder."""
    suffix = f".{object_name}-{mode}.pdsync-journal"
    if source != "-":
        path = Path(source).resolve()
        if os.access(path.parent, os.W_OK):
            return path.with_name(path.name + suffix)
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    digest = hashlib.sha256(str(Path(source).resolve()).encode()).hexdigest()[:16]
    return state / "pdsync" / "push" / f"{digest}{suffix}"


class Journal:
    def __init__(self, path: Path | None, *, dry_run: bool = False) -> None:
        self.path = path
        self.dry_run = dry_run
        target = ":memory:" if path is None or (dry_run and not path.exists()) else str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(target, isolation_level=None)
            if not dry_run:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)  # IF NOT EXISTS: writes nothing to an existing one
            self._db.execute("BEGIN")
            self._add_missing_columns()  # inside the transaction: a dry run rolls it back
        except sqlite3.DatabaseError as exc:
            raise StateError(f"The push journal {path} is unreadable ({exc}).") from None
        self.run = self._next_run()

    def _add_missing_columns(self) -> None:
        """Journals written before links were pushable lack ``parent_id``."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(rows)")}
        if "parent_id" not in columns:
            self._db.execute("ALTER TABLE rows ADD COLUMN parent_id TEXT")

    def _next_run(self) -> int:
        row = self._db.execute("SELECT max(run) FROM rows").fetchone()
        return int(row[0] or 0) + 1

    # -- identity -------------------------------------------------------------------------

    def bind(self, **meta: str) -> None:
        """Tie the journal to one object/mode/key; a journal of another push is refused."""
        stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        clash = {k: (stored[k], v) for k, v in meta.items() if k in stored and stored[k] != v}
        if clash:
            what = ", ".join(f"{k} was {old!r}, now {new!r}" for k, (old, new) in clash.items())
            raise ConfigError(
                f"The journal {self.path} belongs to another push ({what}).",
                hint="Pass --fresh to start over, or --journal PATH for a separate journal.",
            )
        for key, value in meta.items():
            self._db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))

    def reset(self) -> None:
        self._db.execute("DELETE FROM rows")
        self._db.execute("DELETE FROM meta")
        self.run = 1

    # -- planning -------------------------------------------------------------------------

    def previous(self, row: int) -> Previous | None:
        found = self._db.execute(
            "SELECT row_hash, status, action, record_id, body, sent_at, merge_with, parent_id "
            "FROM rows WHERE row_number = ?",
            (row,),
        ).fetchone()
        if found is None:
            return None
        return Previous(
            found[0],
            found[1],
            found[2],
            _load(found[3]),
            _load(found[4]),
            found[5],
            _load(found[6]),
            _load(found[7]),
        )

    def first_row_with_key(self, match_key: str, before: int) -> int | None:
        found = self._db.execute(
            "SELECT min(row_number) FROM rows WHERE match_key = ? AND row_number < ? AND run = ?",
            (match_key, before, self.run),
        ).fetchone()
        return int(found[0]) if found and found[0] is not None else None

    def save(self, item: PlanItem, row_hash: str, match_key: str | None) -> None:
        self._db.execute(
            "INSERT INTO rows (row_number, row_hash, match_key, action, status, record_id, body,"
            " changes, merge_with, message, key_value, run, parent_id)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (row_number) DO UPDATE SET row_hash=excluded.row_hash,"
            " match_key=excluded.match_key, action=excluded.action, status=excluded.status,"
            " record_id=excluded.record_id, body=excluded.body, changes=excluded.changes,"
            " merge_with=excluded.merge_with, message=excluded.message,"
            " key_value=excluded.key_value, run=excluded.run, parent_id=excluded.parent_id,"
            " sent_at=NULL, attempts=0",
            (
                item.row,
                row_hash,
                match_key,
                item.action,
                item.status,
                _dump(item.record_id),
                _dump(item.body),
                _dump([c.__dict__ for c in item.changes]),
                _dump(item.merge_with),
                item.message,
                item.key,
                self.run,
                _dump(item.parent_id),
            ),
        )

    def keep(self, row: int, match_key: str | None) -> None:
        """A row already done in an earlier run is part of this run too (for the report)."""
        self._db.execute(
            "UPDATE rows SET run = ?, match_key = coalesce(?, match_key),"
            " message = 'applied by an earlier run' WHERE row_number = ?",
            (self.run, match_key, row),
        )

    def is_claimed(self, record_id: Any, row: int, parent_id: Any = None) -> bool:
        """True if another row of this journal already created or wrote this record
        (for a link: this child of this parent; a follower's id is its user's id)."""
        found = self._db.execute(
            "SELECT 1 FROM rows WHERE record_id = ? AND row_number != ? AND status = 'done'"
            " AND parent_id IS ?",
            (_dump(record_id), row, _dump(parent_id)),
        ).fetchone()
        return found is not None

    def mark_planned(self, row: int) -> None:
        """The write was refused before it could land (429): plan it again next run."""
        self._db.execute("UPDATE rows SET status='planned' WHERE row_number=?", (row,))
        self.commit()

    # -- applying -------------------------------------------------------------------------

    def mark_sending(self, row: int, now: float) -> None:
        self._db.execute(
            "UPDATE rows SET status='sending', sent_at=?, attempts=attempts+1 WHERE row_number=?",
            (now, row),
        )
        self.commit()  # durable before the request leaves

    def mark_done(self, row: int, record_id: Any, message: str = "") -> None:
        self._db.execute(
            "UPDATE rows SET status='done', record_id=?, message=? WHERE row_number=?",
            (_dump(record_id), message, row),
        )
        self.commit()

    def mark_failed(self, row: int, message: str) -> None:
        self._db.execute(
            "UPDATE rows SET status='failed', message=? WHERE row_number=?", (message, row)
        )
        self.commit()

    def items(self, *, pending_only: bool = False) -> Iterator[PlanItem]:
        """This run's rows in input order (only those still to write with ``pending_only``).

        Read in chunks, so the journal can be updated (and committed) while iterating.
        """
        sql = (
            "SELECT row_number, action, record_id, body, changes, message, key_value,"
            " merge_with, status, parent_id FROM rows WHERE run = ? AND row_number > ?"
        )
        if pending_only:
            sql += " AND status IN ('planned', 'sending') AND action IN"
            sql += " ('create', 'update', 'delete', 'merge')"
        sql += " ORDER BY row_number LIMIT 500"
        last = 0
        while True:
            chunk = self._db.execute(sql, (self.run, last)).fetchall()
            if not chunk:
                return
            for found in chunk:
                yield _item(found)
            last = chunk[-1][0]

    def count(self, action: str) -> int:
        found = self._db.execute(
            "SELECT count(*) FROM rows WHERE run = ? AND action = ? AND status != 'done'",
            (self.run, action),
        ).fetchone()
        return int(found[0])

    def commit(self) -> None:
        if self.dry_run:
            return
        self._db.execute("COMMIT")
        self._db.execute("BEGIN")

    def close(self) -> None:
        if self.dry_run:
            self._db.execute("ROLLBACK")
        else:
            self._db.execute("COMMIT")
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _item(found: tuple[Any, ...]) -> PlanItem:
    return PlanItem(
        row=found[0],
        action=found[1],
        record_id=_load(found[2]),
        body=_load(found[3]),
        changes=[Change(**c) for c in _load(found[4]) or []],
        message=found[5],
        key=found[6],
        merge_with=_load(found[7]),
        status=found[8],
        parent_id=_load(found[9]),
    )


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)
