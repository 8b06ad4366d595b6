"""Group commit: many concurrent requests share one durable transaction.

An fsync costs milliseconds; one per request would cap ingest at a few hundred
events a second. Requests hand their events to one committer thread, which
writes everything that queued up while the previous fsync ran in a single
transaction, then wakes each request. A request is still answered only after
*its* events are on disk.

Refused requests (4xx) are counted in memory and written with the next commit,
or on their own at most once per :data:`REJECTION_FLUSH_SECONDS` when no event
arrives: a flood of bad requests never costs an fsync each. A crash may lose
the last second of these counts, never an event.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pdsync.errors import EventsError
from pdsync.events_dest.model import Event
from pdsync.events_dest.outbox import Outbox
from pdsync.redact import redact

log = logging.getLogger(__name__)

MAX_EVENTS_PER_COMMIT = 5000
REJECTION_FLUSH_SECONDS = 1.0


Callback = Callable[[list[bool] | None, BaseException | None], None]


@dataclass
class _Ticket:
    events: list[Event]
    callback: Callback


def storage_error(error: BaseException) -> EventsError:
    return EventsError(
        f"The outbox could not store the events: {error}",
        hint="Check free disk space and the outbox file's permissions.",
    )


class GroupCommitter:
    """Batches :meth:`Outbox.insert` calls from many threads into few commits."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        on_commit: Callable[[], None] | None = None,
        flush_every: float = REJECTION_FLUSH_SECONDS,
    ) -> None:
        self.outbox = outbox
        self.flush_every = flush_every
        self.on_commit = on_commit
        self.commits = 0
        self._rejections: Counter[str] = Counter()
        self._rejections_lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Ticket | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="pdsync-events-commit", daemon=True)
        self._thread.start()

    def submit(self, events: list[Event], callback: Callback) -> None:
        """Queue events; ``callback(fresh, error)`` runs on the committer thread once durable."""
        self._queue.put(_Ticket(events, callback))

    def append(self, events: list[Event]) -> list[bool]:
        """Block until ``events`` are durable; True per event that was new."""
        done = threading.Event()
        outcome: list[Any] = []

        def finished(fresh: list[bool] | None, error: BaseException | None) -> None:
            outcome.extend((fresh, error))
            done.set()

        self.submit(events, finished)
        done.wait()
        fresh, error = outcome
        if error is not None:
            raise storage_error(error)
        return list(fresh)

    def count_rejection(self, status: int) -> None:
        """Note a refused request (``rejected_<status>`` in the outbox counters), batched."""
        with self._rejections_lock:
            self._rejections[f"rejected_{status}"] += 1

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _take_rejections(self) -> dict[str, int]:
        with self._rejections_lock:
            taken = dict(self._rejections)
            self._rejections.clear()
        return taken

    def _flush_rejections(self) -> None:
        counts = self._take_rejections()
        if counts:
            try:
                self.outbox.bump_counters(counts)
            except Exception as exc:  # counts are best effort; events never depend on them
                log.warning("could not record ingest rejections: %s", redact(str(exc)))

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.flush_every)
            except queue.Empty:
                self._flush_rejections()
                continue
            if first is None:
                self._flush_rejections()
                return
            tickets = [first]
            stop = self._gather(tickets)
            self._commit(tickets)
            if stop:
                return

    def _gather(self, tickets: list[_Ticket]) -> bool:
        """Take whatever else is already waiting; True when a close was requested."""
        size = len(tickets[0].events)
        while size < MAX_EVENTS_PER_COMMIT:
            try:
                ticket = self._queue.get_nowait()
            except queue.Empty:
                return False
            if ticket is None:
                return True
            tickets.append(ticket)
            size += len(ticket.events)
        return False

    def _commit(self, tickets: list[_Ticket]) -> None:
        try:
            fresh = self.outbox.insert(
                (event for t in tickets for event in t.events), counters=self._take_rejections()
            )
        except Exception as exc:  # every waiter must hear about it, none may hang
            for ticket in tickets:
                ticket.callback(None, exc)
            return
        self.commits += 1
        offset = 0
        for ticket in tickets:
            ticket.callback(fresh[offset : offset + len(ticket.events)], None)
            offset += len(ticket.events)
        if self.on_commit is not None:
            self.on_commit()
