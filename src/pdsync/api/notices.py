"""What a read worked around and its caller must hear about: each kind said once, counted.

A list page that stays empty while promising more, a list that does not come in the
order asked for: the reader copes (walks past, re-reads with a walk that cannot skip)
but must not cope *silently*. It records a :class:`Notice` here. Whoever runs the
read subscribes (the sync engine turns notices into warnings and into its summary);
with nobody subscribed, the first occurrence of each notice is logged as a warning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from pdsync.redact import RedactingFilter

__all__ = ["EMPTY_PAGE", "UNORDERED", "Notice", "NoticeListener", "Notices"]

EMPTY_PAGE = "empty_page"  # a page with no records whose envelope promised more
UNORDERED = "unordered"  # a list not in the cursor order asked for: re-read in full

log = logging.getLogger("pdsync.api")  # the client's logger: redacted once, whoever comes first
if not any(isinstance(f, RedactingFilter) for f in log.filters):
    log.addFilter(RedactingFilter())

Key = tuple[str, str]


@dataclass(frozen=True)
class Notice:
    subject: str  # a stream name, or the API path when no stream is known
    kind: str
    message: str
    count: int = 1

    @property
    def key(self) -> Key:
        return (self.subject, self.kind)

    def describe(self) -> str:
        times = f" [{self.count} times]" if self.count > 1 else ""
        return f"{self.subject}: {self.message}{times}"


NoticeListener = Callable[[Notice], None]


class Notices:
    """A thread-safe tally of notices, keyed by (subject, kind)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tally: dict[Key, Notice] = {}
        self._listeners: list[NoticeListener] = []

    def add(self, subject: str, kind: str, message: str) -> Notice:
        """Record one occurrence; listeners hear every one (they decide what to repeat)."""
        with self._lock:
            old = self._tally.get((subject, kind))
            notice = Notice(subject, kind, message, 1 if old is None else old.count + 1)
            self._tally[notice.key] = notice
            listeners = list(self._listeners)
        for listener in listeners:
            listener(notice)
        if not listeners and notice.count == 1:
            log.warning("%s", notice.describe())
        return notice

    def subscribe(self, listener: NoticeListener) -> Callable[[], None]:
        """Hear every notice from now on; call the returned function to stop."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def snapshot(self) -> dict[Key, Notice]:
        with self._lock:
            return dict(self._tally)

    def count(self, subject: str, kind: str) -> int:
        with self._lock:
            notice = self._tally.get((subject, kind))
        return 0 if notice is None else notice.count

    def since(self, before: Mapping[Key, Notice]) -> tuple[Notice, ...]:
        """The notices recorded after ``before`` (a snapshot), counted from there."""
        out = []
        for key, notice in self.snapshot().items():
            earlier = before.get(key)
            grown = notice.count - (earlier.count if earlier else 0)
            if grown > 0:
                out.append(replace(notice, count=grown))
        return tuple(out)
