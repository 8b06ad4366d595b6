"""The durable outbox: every accepted event lives here until Pipedrive has it.

SQLite in WAL mode with ``synchronous=FULL``: a commit returns only after the
write-ahead log is on disk, so an event acknowledged to the sender survives a
``kill -9`` or a power cut. ``message_id`` is unique, which makes a resent event
a no-op (idempotency). Events end as ``delivered`` or ``dead`` (with a row in
``dead_letters`` giving the reason); ``replay`` puts dead letters back in line.

Each thread gets its own connection (SQLite connections are not shared across
threads); WAL lets the delivery worker read while the ingest side writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdsync.errors import EventsError
from pdsync.events_dest.model import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    partition_key TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    tries INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    finished_at REAL,
    result TEXT
);
CREATE INDEX IF NOT EXISTS events_pending ON events (seq) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY REFERENCES events (seq),
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS identities (
    kind TEXT NOT NULL,
    external_key TEXT NOT NULL,
    pipedrive_id INTEGER NOT NULL,
    PRIMARY KEY (kind, external_key)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

# How many pending rows the scheduler looks at to find one that is due.
SCAN_WINDOW = 1000


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    message_id: str
    partition_key: str
    payload: str
    attempts: int  # failed attempts so far (429 waits excluded)
    tries: int  # deliveries started; > 0 means an earlier one may have landed


@dataclass(frozen=True)
class Status:
    pending: int
    delivered: int
    dead: int
    retrying: int
    oldest_pending_age: float | None  # seconds
    counters: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "delivered": self.delivered,
            "failed": self.dead,
            "retrying": self.retrying,
            "oldest_pending_age_s": self.oldest_pending_age,
            "counters": self.counters,
        }


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    message_id: str
    type: str
    reason: str
    attempts: int
    failed_at: float


class Outbox:
    """The SQLite outbox file; safe to use from many threads."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn().executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise EventsError(
                f"Cannot open the events outbox {self.path}: {exc}",
                hint="Check that the directory exists and is writable, or set `outbox:` in the config.",
            ) from None

    # -- connections -----------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # fsync the WAL on every commit
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- ingest ----------------------------------------------------------------------

    def insert(
        self, events: Iterable[Event], *, counters: dict[str, int] | None = None
    ) -> list[bool]:
        """Store events durably in one transaction; False marks a messageId already seen.

        ``counters`` (for example batched ingest rejections) ride along in the same commit.
        """
        now = self.clock()
        fresh: list[bool] = []
        with self._transaction() as conn:
            for name, value in (counters or {}).items():
                _bump(conn, name, value)
            for event in events:
                cursor = conn.execute(
                    "INSERT INTO events (message_id, partition_key, type, payload, received_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                    (event.message_id, event.partition_key, event.type, event.to_json(), now),
                )
                fresh.append(cursor.rowcount == 1)
        return fresh

    def bump_counters(self, counters: dict[str, int]) -> None:
        with self._transaction() as conn:
            for name, value in counters.items():
                _bump(conn, name, value)

    # -- delivery --------------------------------------------------------------------

    def next_due(self, now: float) -> tuple[PendingEvent | None, float | None]:
        """The oldest deliverable event, keeping each user's events in order.

        An event waiting for a retry blocks the later events of its user, so
        they never overtake it. Returns ``(event, None)`` or ``(None, wake_at)``.
        """
        rows = self._conn().execute(
            "SELECT seq, message_id, partition_key, payload, attempts, tries, next_attempt_at"
            " FROM events WHERE state = 'pending' ORDER BY seq LIMIT ?",
            (SCAN_WINDOW,),
        )
        blocked: set[str] = set()
        wake_at: float | None = None
        for seq, message_id, key, payload, attempts, tries, next_at in rows:
            if key in blocked:
                continue
            if next_at > now:
                blocked.add(key)
                wake_at = next_at if wake_at is None else min(wake_at, next_at)
                continue
            return PendingEvent(seq, message_id, key, payload, attempts, tries), None
        return None, wake_at

    def start_attempt(self, seq: int) -> None:
        """Record, durably, that a delivery starts: after a crash its retry reads back first."""
        self._conn().execute("UPDATE events SET tries = tries + 1 WHERE seq = ?", (seq,))

    def mark_delivered(self, seq: int, result: dict[str, Any]) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE events SET state = 'delivered', attempts = attempts + 1,"
                " finished_at = ?, result = ?, last_error = NULL WHERE seq = ?",
                (self.clock(), json.dumps(result, sort_keys=True), seq),
            )
            for name, value in result.get("counters", {}).items():
                _bump(conn, name, int(value))

    def schedule_retry(
        self, seq: int, *, at: float, error: str, count_attempt: bool = True
    ) -> None:
        self._conn().execute(
            "UPDATE events SET attempts = attempts + ?, next_attempt_at = ?, last_error = ?"
            " WHERE seq = ?",
            (1 if count_attempt else 0, at, error, seq),
        )

    def dead_letter(self, seq: int, reason: str) -> None:
        now = self.clock()
        with self._transaction() as conn:
            conn.execute(
                "UPDATE events SET state = 'dead', attempts = attempts + 1, finished_at = ?,"
                " last_error = ? WHERE seq = ?",
                (now, reason, seq),
            )
            conn.execute(
                "INSERT INTO dead_letters (seq, message_id, type, reason, attempts, failed_at)"
                " SELECT seq, message_id, type, ?, attempts, ? FROM events WHERE seq = ?"
                " ON CONFLICT (seq) DO UPDATE SET reason = excluded.reason,"
                " attempts = excluded.attempts, failed_at = excluded.failed_at",
                (reason, now, seq),
            )

    def replay(self, message_ids: Iterable[str] | None = None) -> int:
        """Put dead letters (all, or the named ones) back in line; returns how many."""
        ids = None if message_ids is None else list(message_ids)
        with self._transaction() as conn:
            where, args = (
                ("", ())
                if ids is None
                else (
                    f" WHERE message_id IN ({','.join('?' * len(ids))})",
                    tuple(ids),
                )
            )
            seqs = [row[0] for row in conn.execute(f"SELECT seq FROM dead_letters{where}", args)]
            for seq in seqs:
                conn.execute(
                    "UPDATE events SET state = 'pending', attempts = 0, next_attempt_at = 0,"
                    " finished_at = NULL WHERE seq = ?",
                    (seq,),
                )
                conn.execute("DELETE FROM dead_letters WHERE seq = ?", (seq,))
        return len(seqs)

    # -- identities: the app's ids -> Pipedrive ids, so later events skip a search ---

    def identity(self, kind: str, key: str) -> int | None:
        row = (
            self._conn()
            .execute(
                "SELECT pipedrive_id FROM identities WHERE kind = ? AND external_key = ?",
                (kind, key),
            )
            .fetchone()
        )
        return None if row is None else int(row[0])

    def remember_identity(self, kind: str, key: str, pipedrive_id: int | None) -> None:
        conn = self._conn()
        if pipedrive_id is None:
            conn.execute("DELETE FROM identities WHERE kind = ? AND external_key = ?", (kind, key))
            return
        conn.execute(
            "INSERT INTO identities (kind, external_key, pipedrive_id) VALUES (?, ?, ?)"
            " ON CONFLICT (kind, external_key) DO UPDATE SET pipedrive_id = excluded.pipedrive_id",
            (kind, key, pipedrive_id),
        )

    # -- reporting -------------------------------------------------------------------

    def status(self) -> Status:
        conn = self._conn()
        counts = dict(conn.execute("SELECT state, count(*) FROM events GROUP BY state").fetchall())
        retrying, oldest = conn.execute(
            "SELECT count(*) FILTER (WHERE attempts > 0), min(received_at)"
            " FROM events WHERE state = 'pending'"
        ).fetchone()
        counters = dict(conn.execute("SELECT name, value FROM counters ORDER BY name").fetchall())
        return Status(
            pending=counts.get("pending", 0),
            delivered=counts.get("delivered", 0),
            dead=counts.get("dead", 0),
            retrying=retrying,
            oldest_pending_age=None if oldest is None else max(0.0, self.clock() - oldest),
            counters=counters,
        )

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = self._conn().execute(
            "SELECT seq, message_id, type, reason, attempts, failed_at FROM dead_letters"
            " ORDER BY seq LIMIT ?",
            (limit,),
        )
        return [DeadLetter(*row) for row in rows]

    def result_of(self, message_id: str) -> tuple[str, dict[str, Any] | None, str | None]:
        """``(state, result, last_error)`` of one event, for tests and tooling."""
        row = (
            self._conn()
            .execute(
                "SELECT state, result, last_error FROM events WHERE message_id = ?", (message_id,)
            )
            .fetchone()
        )
        if row is None:
            raise EventsError(f"No event with messageId {message_id!r} in the outbox.")
        return row[0], None if row[1] is None else json.loads(row[1]), row[2]


def _bump(conn: sqlite3.Connection, name: str, by: int) -> None:
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
        (name, by),
    )
