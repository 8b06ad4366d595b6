"""The durable journal: every accepted delivery is on disk before Pipedrive hears 2xx.

One SQLite file (WAL, ``synchronous=FULL``: a commit is fsynced) holds the deliveries,
deduplicated by the event's id (``meta.id``, the same for every attempt of an event),
and the listener's own small state (credentials, webhook ids, catch-up marks).
Receiver threads hand deliveries to one committer thread that writes everything queued
up during the previous fsync in one transaction (group commit), then wakes each
thread: a delivery is answered only after *its* commit, and a burst shares fsyncs.

A delivery is ``pending`` until the applier settles it: ``applied`` (its row is in
the replica), ``superseded`` (a newer version was already there) or ``failed``
(it could not become a row; the note says why). Settled deliveries are pruned after
a retention period; until then they tell the applier which version of a record it
applied last.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdsync.errors import PdsyncError
from pdsync.live.payload import Delivery

MAX_PER_COMMIT = 2000
COMMIT_TIMEOUT_S = 30.0  # Pipedrive gives up on a delivery after 10 s anyway

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    event_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    body BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    note TEXT,
    settled_ms INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_record ON deliveries (entity, entity_id, event_ms);
CREATE TABLE IF NOT EXISTS live_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class JournalError(PdsyncError):
    exit_code = 7
    default_hint = "Check free disk space and the journal file's permissions."


@dataclass(frozen=True)
class Entry:
    """A journaled delivery waiting for the applier."""

    seq: int
    entity: str
    entity_id: str
    action: str
    event_ms: int
    received_ms: int
    body: bytes


@dataclass
class _Ticket:
    delivery: Delivery
    body: bytes
    received_ms: int
    done: threading.Event
    fresh: bool = False
    error: BaseException | None = None


def now_ms() -> int:
    return round(time.time() * 1000)


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


class Journal:
    """The journal file; thread-safe (one committer thread, readers on their own connection)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        fresh_file = not Path(self.path).exists()
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._reader = _connect(self.path)
            self._reader.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"Cannot open the listen journal {self.path!r}: {exc}") from None
        if fresh_file:
            os.chmod(self.path, 0o600)  # it holds the webhook credentials
        self._read_lock = threading.Lock()
        self._writer = _connect(self.path)
        self._queue: queue.SimpleQueue[_Ticket | None] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._commit_loop, name="pdsync-journal", daemon=True
        )
        self._thread.start()
        self.commits = 0

    # ------------------------------------------------------------ appending

    def append(self, delivery: Delivery, body: bytes) -> bool:
        """Store one delivery durably; True if new, False if its event id was already there.

        Raises :class:`JournalError` when it could not be stored (answer 5xx: Pipedrive retries).
        """
        ticket = _Ticket(delivery, body, now_ms(), threading.Event())
        self._queue.put(ticket)
        if not ticket.done.wait(COMMIT_TIMEOUT_S):
            raise JournalError("The journal did not commit the delivery in time.")
        if ticket.error is not None:
            raise JournalError(f"The delivery could not be journaled: {ticket.error}")
        return ticket.fresh

    def _commit_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            tickets = [first]
            while len(tickets) < MAX_PER_COMMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this commit
                    break
                tickets.append(more)
            self._write(tickets)
            for ticket in tickets:
                ticket.done.set()

    def _write(self, tickets: list[_Ticket]) -> None:
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
            for t in tickets:
                d = t.delivery
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO deliveries (event_id, entity, entity_id, action,"
                    " event_ms, received_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (d.event_id, d.entity, d.entity_id, d.action, d.timestamp_ms,
                     t.received_ms, t.body),
                )  # fmt: skip
                t.fresh = cursor.rowcount == 1
            conn.execute("COMMIT")
            self.commits += 1
        except Exception as exc:  # any failure: these deliveries are refused, not lost silently
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for t in tickets:
                t.error = exc

    # -------------------------------------------------------------- reading

    def pending(self, limit: int = 1000) -> list[Entry]:
        """The oldest unsettled deliveries, in arrival order."""
        rows = self._read(
            "SELECT seq, entity, entity_id, action, event_ms, received_ms, body FROM deliveries"
            " WHERE status = 'pending' ORDER BY seq LIMIT ?",
            (limit,),
        )
        return [Entry(*row) for row in rows]

    def pending_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")[0][0])

    def last_applied(self, entity: str, entity_ids: Iterable[str]) -> dict[str, int]:
        """entity id -> the event time of the newest delivery applied to it."""
        ids = list(dict.fromkeys(entity_ids))
        out: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._read(
                "SELECT entity_id, MAX(event_ms) FROM deliveries WHERE entity = ? AND"
                f" entity_id IN ({marks}) AND status = 'applied' GROUP BY entity_id",
                (entity, *chunk),
            )
            out.update({str(r[0]): int(r[1]) for r in rows})
        return out

    def counts(self) -> dict[str, int]:
        rows = self._read("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
        return {str(status): int(n) for status, n in rows}

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return list(self._reader.execute(sql, params).fetchall())

    # ------------------------------------------------------------- settling

    def settle(self, outcomes: Mapping[int, tuple[str, str | None]]) -> None:
        """Mark deliveries ``applied``/``superseded``/``failed`` (seq -> (status, note))."""
        if not outcomes:
            return
        stamp = now_ms()
        with self._read_lock:
            conn = self._reader
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "UPDATE deliveries SET status = ?, note = ?, settled_ms = ? WHERE seq = ?",
                [(status, note, stamp, seq) for seq, (status, note) in outcomes.items()],
            )
            conn.execute("COMMIT")

    def prune(self, older_than_ms: int) -> int:
        """Forget settled deliveries settled before ``older_than_ms``; how many went."""
        with self._read_lock:
            cursor = self._reader.execute(
                "DELETE FROM deliveries WHERE status != 'pending' AND settled_ms < ?",
                (older_than_ms,),
            )
            return cursor.rowcount

    # ---------------------------------------------------------------- state

    def get(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM live_state WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def put(self, values: Mapping[str, str | None]) -> None:
        """Set (or, with None, remove) state keys in one transaction."""
        with self._read_lock:
            conn = self._reader
            conn.execute("BEGIN IMMEDIATE")
            for key, value in values.items():
                if value is None:
                    conn.execute("DELETE FROM live_state WHERE key = ?", (key,))
                else:
                    conn.execute(
                        "INSERT INTO live_state (key, value) VALUES (?, ?)"
                        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )
            conn.execute("COMMIT")

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._writer.close()
        self._reader.close()


def default_journal_path(target: str | None) -> str:
    """Beside a SQLite replica (``pipedrive.db`` → ``pipedrive.db.listen``); else in the cwd."""
    from pdsync.destinations.urls import parse_destination_url

    parsed = parse_destination_url(target)
    if parsed.scheme == "sqlite" and parsed.path and parsed.path != ":memory:":
        return parsed.path + ".listen"
    return "pdsync-listen.db"
