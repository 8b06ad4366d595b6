"""Group commit: many concurrent requests share one durable transaction.

An fsync costs milliseconds; one per request would cap ingest at a few hundred
events a second. Requests hand their events to one committer thread, which
writes everything that queued up while the previous fsync ran in a single
transaction, then wakes each request. A request is still answered only after
*its* events are on disk.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pdsync.errors import EventsError
from pdsync.events_dest.model import Event
from pdsync.events_dest.outbox import Outbox

MAX_EVENTS_PER_COMMIT = 5000


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

    def __init__(self, outbox: Outbox, *, on_commit: Callable[[], None] | None = None) -> None:
        self.outbox = outbox
        self.on_commit = on_commit
        self.commits = 0
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

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
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
            fresh = self.outbox.insert(event for t in tickets for event in t.events)
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
