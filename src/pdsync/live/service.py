"""``pdsync listen`` as a library: receiver, journal, applier, catch-ups and webhooks together.

One worker thread owns the replica: it applies journaled deliveries in rounds and,
between rounds, runs the catch-ups (so a catch-up and the applier never write the
same table at once). Receiver threads only touch the journal. Order on start:
receiver listening → webhooks registered → catch-up (the receiver was down, so it
reconciles ids too) → deliveries applied, those that came during the catch-up first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.destinations.base import Destination
from pdsync.errors import PdsyncError
from pdsync.live import catchup, registration
from pdsync.live.applier import Applier
from pdsync.live.credentials import Credentials, load_or_create
from pdsync.live.journal import Journal, now_ms
from pdsync.live.objects import OBJECT_OF
from pdsync.live.receiver import Receiver, ReceiverApp
from pdsync.live.replica import stream_runs
from pdsync.live.status import Status
from pdsync.progress import Event
from pdsync.redact import redact

log = logging.getLogger(__name__)
RETRY_WRITE_S = 1.0


@dataclass(frozen=True)
class ListenOptions:
    streams: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None  # what Pipedrive posts to; default: the receiver's own URL
    register: bool = True
    unregister_on_stop: bool = False
    catch_up_every: timedelta | None = timedelta(minutes=15)
    reconcile_every: timedelta | None = timedelta(hours=24)
    retention: timedelta = timedelta(days=7)
    round_size: int = 1000
    credentials: Credentials | None = None  # default: generated and kept in the journal


class ListenService:
    def __init__(
        self,
        client: PipedriveClient,
        destination: Destination,
        journal: Journal,
        options: ListenOptions,
        *,
        sink: Callable[[Event], None] | None = None,
    ) -> None:
        self.client = client
        self.destination = destination
        self.journal = journal
        self.options = options
        self.sink = sink
        self.status = Status()
        self.objects = tuple(OBJECT_OF[s] for s in options.streams)
        self.credentials: Credentials = load_or_create(journal, options.credentials)
        self._wake = threading.Condition()
        self._catch_up: tuple[str, bool] | None = ("start", True)  # (reason, reconcile)
        self._stopping = False
        self._stopped = False
        self._busy = False
        self._worker: threading.Thread | None = None
        self.error: BaseException | None = None  # what stopped the worker, if anything
        self.app = ReceiverApp(
            journal, self.credentials, self.objects, self.status, self._nudge, self.request_catch_up
        )
        self.receiver = Receiver(self.app, options.host, options.port)
        self.applier: Applier | None = None
        self._next_periodic = 0.0

    @property
    def public_url(self) -> str:
        return self.options.public_url or self.receiver.url

    # ------------------------------------------------------------------ control

    def start(self) -> ListenService:
        self.receiver.start()
        self.status.registration = {"managed": self.options.register}
        self._worker = threading.Thread(target=self._run, name="pdsync-listen", daemon=True)
        self._worker.start()
        return self

    def request_catch_up(self, reason: str, *, reconcile: bool = True) -> None:
        with self._wake:
            old = self._catch_up
            self._catch_up = (reason, reconcile or bool(old and old[1]))
            self._wake.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until no delivery is pending and no catch-up is due or running (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._wake:
                idle = self._catch_up is None and not self._busy
            if idle and self.journal.pending_count() == 0:
                with self._wake:
                    if self._catch_up is None and not self._busy:
                        return True
            if self.error is not None:
                return False
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        """Stop receiving, finish the current round, and unregister if asked (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.receiver.stop()
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=60)
        if self.options.register and self.options.unregister_on_stop:
            removed = registration.unregister(self.client, self.journal, self.objects)
            log.info("removed the webhooks of %s", ", ".join(removed) or "nothing")

    def _nudge(self) -> None:
        with self._wake:
            self._wake.notify_all()

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        try:
            while True:
                job = self._next_job()
                if job is None:
                    return
                if job == "catch_up":
                    self._do_catch_up()
                else:
                    self._apply_round()
        except BaseException as exc:  # the listener cannot go on: say why, keep the journal
            self.error = exc
            log.error("listen stopped: %s", redact(str(exc)))

    def _next_job(self) -> str | None:
        every = self.options.catch_up_every
        while True:
            with self._wake:
                if self._stopping:
                    return None
                if (
                    every is not None
                    and self._catch_up is None
                    and time.monotonic() >= self._next_periodic
                ):
                    self._catch_up = ("periodic", False)
                if self._catch_up is not None:
                    self._busy = True
                    return "catch_up"
            pending = self.journal.pending_count()
            self.status.pending = pending
            if pending and self.applier is not None:
                with self._wake:
                    self._busy = True
                return "apply"
            with self._wake:
                self._busy = False
                if not self._stopping and self._catch_up is None:
                    wait = 1.0
                    if every is not None:
                        wait = max(0.0, min(wait, self._next_periodic - time.monotonic()))
                    self._wake.wait(wait)

    def _apply_round(self) -> None:
        assert self.applier is not None
        result = self.applier.round(self.options.round_size)
        self.status.pending = self.journal.pending_count()
        if result.write_failed:
            with self._wake:  # back off before the next try; a stop still wakes us
                if not self._stopping:
                    self._wake.wait(RETRY_WRITE_S)
        if result.unknown_fields:
            self.request_catch_up(
                "a delivery carries custom fields the replica lacks", reconcile=False
            )

    def _do_catch_up(self) -> None:
        with self._wake:
            taken = self._catch_up
            reason, reconcile = taken or ("periodic", False)
        self.status.catching_up = True
        try:
            if self.options.register:
                state = registration.check(
                    self.client, self.journal, self.objects, self.public_url, self.credentials
                )
                self.status.registration = state.to_dict()
                if state.gap_suspected and reason == "periodic":
                    reason, reconcile = "webhooks re-registered or failing", True
            report = catchup.catch_up(
                self.client,
                self.destination,
                self.journal,
                self.options.streams,
                reconcile=reconcile,
                reconcile_every=self.options.reconcile_every,
                sink=self.sink,
            )
            self.status.last_catch_up = {
                **catchup.summary(report, reason),
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            self.status.count("catch_ups")
            self.journal.prune(now_ms() - int(self.options.retention.total_seconds() * 1000))
        except PdsyncError as exc:
            # Pipedrive unreachable, budget spent…: deliveries keep being journaled and
            # applied; the catch-up is tried again at the next period.
            log.warning("catch-up failed (%s): %s", reason, redact(exc.message))
            self.status.last_catch_up = {
                "reason": reason,
                "ok": False,
                "error": redact(exc.message),
            }
        finally:
            self.status.catching_up = False
        self.applier = Applier(
            self.destination,
            self.journal,
            stream_runs(self.destination, self.options.streams),
            self.status,
            lambda stream: catchup.covered_until(self.journal, stream),
        )
        every = self.options.catch_up_every
        with self._wake:
            if self._catch_up is taken:  # else another was asked for meanwhile: run it next
                self._catch_up = None
            self._busy = False
            if every is not None:
                self._next_periodic = time.monotonic() + every.total_seconds()

    def snapshot(self) -> dict[str, Any]:
        return self.status.snapshot()
