"""Fetchers → bounded queue → one writer (DESIGN decision 7).

Fetch tasks run on a small pool of threads; each emits work items (usually a
page of normalised rows) into a bounded queue, in order. The calling thread is
the one writer: it takes items off the queue and commits them. Because the
queue is bounded, a fetcher that gets ahead of the writer blocks, so memory
stays flat whatever the account size. A task may submit more tasks (a big
stream splits itself into time windows).

Failure handling: when a fetcher fails, the others stop at their next emit,
the writer still commits every item already queued (each is a complete unit of
work with its own bookmark), then the first error is raised. When the writer
fails, the fetchers stop and the writer's error is raised. Ctrl-C in the
writer stops everything the same way; what was committed stays committed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

Emit = Callable[[T], None]
Task = Callable[[Emit[T]], None]

_POLL_SECONDS = 0.05


class Cancelled(Exception):
    """Raised inside a fetch task's ``emit`` once the pipeline is stopping."""


class Pipeline(Generic[T]):
    def __init__(
        self, write: Callable[[T], None], *, workers: int = 4, queue_size: int = 8
    ) -> None:
        self._write = write
        self._workers = max(1, workers)
        self._items: queue.Queue[T] = queue.Queue(maxsize=max(1, queue_size))
        self._tasks: queue.Queue[Task[T] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0  # tasks submitted and not finished
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def submit(self, task: Task[T]) -> None:
        """Queue a fetch task; callable from the writer or from inside another task."""
        with self._lock:
            self._pending += 1
        self._tasks.put(task)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """Run every task, write every item, return when all are done (or raise the first error)."""
        self._threads = [
            threading.Thread(target=self._fetch_loop, name=f"pdsync-fetch-{i}", daemon=True)
            for i in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()
        try:
            self._write_loop()
        except BaseException as exc:
            self._stop.set()
            self._record(exc)
        finally:
            self._shutdown()
        if self._errors:
            raise self._errors[0]

    def _write_loop(self) -> None:
        while True:
            try:
                item = self._items.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if self._finished():
                    return
                continue
            self._write(item)

    def _finished(self) -> bool:
        with self._lock:
            idle = self._pending == 0
        return (idle or self._stop.is_set()) and self._items.empty()

    def _fetch_loop(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            try:
                if not self._stop.is_set():
                    task(self._emit)
            except Cancelled:
                pass
            except BaseException as exc:
                self._record(exc)
                self._stop.set()
            finally:
                with self._lock:
                    self._pending -= 1

    def _emit(self, item: T) -> None:
        while True:
            if self._stop.is_set():
                raise Cancelled
            try:
                self._items.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def _record(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)

    def _shutdown(self) -> None:
        self._stop.set()
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
