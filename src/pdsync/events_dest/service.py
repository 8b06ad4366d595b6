"""The running destination: HTTP ingest → group commit → outbox → delivery worker.

Usable from Python (tests, embedding) as a context manager::

    with EventsService(config, deliverer, port=0) as svc:
        print(svc.url)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from pdsync.errors import ConfigError, EventsError
from pdsync.events_dest.config import EventsConfig
from pdsync.events_dest.groupcommit import GroupCommitter
from pdsync.events_dest.http_server import IngestServer
from pdsync.events_dest.ingest import IngestApp
from pdsync.events_dest.model import Event, InvalidEventError, parse_event
from pdsync.events_dest.outbox import Outbox
from pdsync.events_dest.worker import Deliverer, DeliveryWorker


class EventsService:
    def __init__(
        self,
        config: EventsConfig,
        deliverer: Deliverer | None,
        *,
        host: str = "127.0.0.1",
        port: int = 8081,
        outbox: Outbox | None = None,
    ) -> None:
        if not config.write_key:
            raise ConfigError(
                "No write key for the events endpoint.",
                hint="Set `write_key` in the events config or PDSYNC_EVENTS_WRITE_KEY.",
            )
        self.outbox = outbox or Outbox(config.outbox)
        self.worker = (
            None
            if deliverer is None
            else DeliveryWorker(self.outbox, deliverer, retry=config.retry)
        )
        self.committer = GroupCommitter(self.outbox, on_commit=self._wake_worker)
        app = IngestApp(config.write_key, self.committer.append, status=self._health)
        try:
            self.server = IngestServer((host, port), app, self.committer)
        except OSError as exc:
            self.committer.close()
            raise EventsError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="Pick another --port, or stop the process using it.",
            ) from None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> EventsService:
        self._threads.append(self.server.start_background())
        if self.worker is not None:
            worker = threading.Thread(
                target=self.worker.run,
                args=(self._stop,),
                name="pdsync-events-deliver",
                daemon=True,
            )
            worker.start()
            self._threads.append(worker)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.worker is not None:
            self.worker.notify()
        self.server.shutdown()
        self.server.server_close()
        self.committer.close()
        for thread in self._threads:
            thread.join(timeout=30)

    def serve_forever(self) -> None:
        """Block until interrupted (Ctrl-C / SIGTERM raise out of the wait)."""
        self.start()
        try:
            while not self._stop.wait(3600):
                pass
        finally:
            self.stop()

    def _health(self) -> dict[str, Any]:
        return {**self.outbox.status().as_dict(), "commits": self.committer.commits}

    def _wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.notify()

    def __enter__(self) -> EventsService:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def read_jsonl(path: str | Path) -> list[Event]:
    """Events from a JSON-lines file, each naming its ``type``; bad lines name their number."""
    events: list[Event] = []
    try:
        lines: Iterable[str] = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EventsError(
            f"Cannot read {path}: {exc.strerror or exc}", hint="Check the file path."
        ) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj: Any = json.loads(line)
            events.append(parse_event(obj))
        except json.JSONDecodeError as exc:
            raise InvalidEventError(f"{path}:{number}: malformed JSON ({exc.msg}).") from None
        except InvalidEventError as exc:
            raise InvalidEventError(f"{path}:{number}: {exc.message}") from None
    return events
