"""Progress is events: the engine emits small frozen dataclasses, listeners render them.

Sinks are plain callables (:class:`EventSink`): a TTY display that redraws one line per
stream, a log sink, and a JSON-lines sink for ``--log-format json``. :func:`make_sink`
picks one the way the CLI does. Every string an event carries is passed through
:func:`pdsync.redact.redact` when the event is built, so no sink can leak a secret.
``BatchCommitted`` is emitted only after the commit: what it reports is durable.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal, Protocol, TextIO

from pdsync.redact import redact, redact_obj

__all__ = [
    "BatchCommitted",
    "Event",
    "EventSink",
    "FanOut",
    "JsonLinesSink",
    "LogSink",
    "PageFetched",
    "RateLimited",
    "StreamFinished",
    "StreamStarted",
    "StreamTotals",
    "SyncFinished",
    "SyncStarted",
    "SyncWarning",
    "TextLinesSink",
    "TtyProgress",
    "describe",
    "make_sink",
]


@dataclass(frozen=True)
class Event:
    """Base of every progress event; ``kind`` names it in logs and JSON lines."""

    kind: ClassVar[str] = "event"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (str, Mapping, list, tuple)):
                object.__setattr__(self, f.name, redact_obj(value))

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class StreamTotals:
    rows: int = 0
    pages: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    rate_limit_wait: float = 0.0  # seconds spent waiting for Pipedrive's rate limits


@dataclass(frozen=True)
class SyncStarted(Event):
    kind: ClassVar[str] = "sync_started"
    streams: tuple[str, ...]
    target: str


@dataclass(frozen=True)
class StreamStarted(Event):
    kind: ClassVar[str] = "stream_started"
    stream: str
    mode: str = "incremental"  # "incremental", "backfill", "full_refresh"
    total: int | None = None  # expected rows, when Pipedrive says (enables the ETA)
    since: str | None = None  # the bookmark the stream starts from


@dataclass(frozen=True)
class PageFetched(Event):
    kind: ClassVar[str] = "page_fetched"
    stream: str
    rows: int
    page: int
    partition: str | None = None


@dataclass(frozen=True)
class RateLimited(Event):
    kind: ClassVar[str] = "rate_limited"
    seconds: float
    reason: str
    stream: str | None = None


@dataclass(frozen=True)
class BatchCommitted(Event):
    kind: ClassVar[str] = "batch_committed"
    stream: str
    inserted: int
    updated: int
    deleted: int
    bookmark: str | None = None


@dataclass(frozen=True)
class StreamFinished(Event):
    kind: ClassVar[str] = "stream_finished"
    stream: str
    totals: StreamTotals
    seconds: float


@dataclass(frozen=True)
class SyncFinished(Event):
    kind: ClassVar[str] = "sync_finished"
    summary: Mapping[str, StreamTotals]
    seconds: float
    ok: bool = True


@dataclass(frozen=True)
class SyncWarning(Event):
    kind: ClassVar[str] = "warning"
    message: str
    stream: str | None = None


class EventSink(Protocol):
    def __call__(self, event: Event) -> None: ...


class FanOut:
    """Send each event to every sink, in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = list(sinks)

    def __call__(self, event: Event) -> None:
        for sink in self.sinks:
            sink(event)


def describe(event: Event) -> str:
    """One human line for an event (used by the log sink and the TTY display's log)."""
    if isinstance(event, SyncStarted):
        return f"sync started: {len(event.streams)} streams into {event.target}"
    if isinstance(event, StreamStarted):
        since = f" since {event.since}" if event.since else ""
        return f"{event.stream}: started ({event.mode}{since})"
    if isinstance(event, PageFetched):
        part = f" [{event.partition}]" if event.partition else ""
        return f"{event.stream}{part}: page {event.page}, {event.rows} rows"
    if isinstance(event, RateLimited):
        who = f"{event.stream}: " if event.stream else ""
        return f"{who}rate limited, waiting {event.seconds:.1f}s ({event.reason})"
    if isinstance(event, BatchCommitted):
        return (
            f"{event.stream}: committed {event.inserted} inserted, {event.updated} updated, "
            f"{event.deleted} deleted"
        )
    if isinstance(event, StreamFinished):
        t = event.totals
        return (
            f"{event.stream}: done in {event.seconds:.1f}s — {t.rows} rows, {t.inserted} inserted, "
            f"{t.updated} updated, {t.deleted} deleted"
        )
    if isinstance(event, SyncFinished):
        rows = sum(t.rows for t in event.summary.values())
        status = "finished" if event.ok else "stopped"
        return f"sync {status} in {event.seconds:.1f}s: {rows} rows in {len(event.summary)} streams"
    if isinstance(event, SyncWarning):
        return f"warning: {event.stream + ': ' if event.stream else ''}{event.message}"
    return event.kind


class LogSink:
    """Log each event as one line; pages at DEBUG so INFO stays readable."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("pdsync.sync")

    def __call__(self, event: Event) -> None:
        if isinstance(event, SyncWarning):
            level = logging.WARNING
        elif isinstance(event, PageFetched):
            level = logging.DEBUG
        else:
            level = logging.INFO
        self.logger.log(level, "%s", redact(describe(event)))


class JsonLinesSink:
    """One JSON object per event and line (``--log-format json``), with a UTC timestamp."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.time) -> None:
        self.stream = stream
        self.clock = clock

    def __call__(self, event: Event) -> None:
        ts = datetime.fromtimestamp(self.clock(), timezone.utc).isoformat(timespec="milliseconds")
        record = {"ts": ts.replace("+00:00", "Z"), **event.to_dict()}
        self.stream.write(redact(json.dumps(record, default=str, ensure_ascii=False)) + "\n")
        self.stream.flush()


class TextLinesSink:
    """Plain timestamped lines on a non-terminal stream (CI logs, redirected output).

    Pages are left out: one line per page would drown the useful lines.
    """

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.time) -> None:
        self.stream = stream
        self.clock = clock

    def __call__(self, event: Event) -> None:
        if isinstance(event, PageFetched):
            return
        stamp = datetime.fromtimestamp(self.clock(), timezone.utc).strftime("%H:%M:%S")
        self.stream.write(f"{stamp} {redact(describe(event))}\n")
        self.stream.flush()


def make_sink(
    stream: TextIO,
    log_format: Literal["text", "json"] = "text",
    *,
    tty: bool | None = None,
) -> EventSink:
    """The CLI's choice: JSON lines, a live display on a terminal, plain lines otherwise."""
    if log_format == "json":
        return JsonLinesSink(stream)
    if stream.isatty() if tty is None else tty:
        return TtyProgress(stream)
    return TextLinesSink(stream)


@dataclass
class _StreamLine:
    """What the TTY display knows of one stream."""

    started: float
    total: int | None = None
    rows: int = 0
    pages: int = 0
    waits: int = 0
    waited: float = 0.0
    seconds: float | None = None  # set when the stream finished


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole >= 3600:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


class TtyProgress:
    """A live block with one line per stream: rows, pages, rate, rate-limit waits, ETA.

    The block is redrawn in place with ANSI cursor moves, at most every ``min_interval``
    seconds (and on every start, finish and warning). Warnings and the final summary are
    printed above it and stay in the scrollback.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_interval: float = 0.1,
        width: int | None = None,
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.min_interval = min_interval
        self.width = width or shutil.get_terminal_size((100, 24)).columns
        self.lines: dict[str, _StreamLine] = {}
        self._drawn = 0
        self._last_draw = float("-inf")

    def __call__(self, event: Event) -> None:
        now = self.clock()
        urgent = self._update(event, now)
        if isinstance(event, SyncWarning):
            self._print_above(describe(event))
        elif isinstance(event, SyncFinished):
            # Final frame, then the summary below it; the block stays in the scrollback.
            self._draw(now)
            self.stream.write(redact(describe(event))[: self.width - 1] + "\n")
            self.stream.flush()
            self._drawn = 0
        elif urgent or now - self._last_draw >= self.min_interval:
            self._draw(now)

    def _update(self, event: Event, now: float) -> bool:
        """Fold the event into the per-stream lines; True when it must be shown at once."""
        if isinstance(event, StreamStarted):
            self.lines[event.stream] = _StreamLine(started=now, total=event.total)
            return True
        stream = getattr(event, "stream", None)
        line = self.lines.get(stream) if isinstance(stream, str) else None
        if line is None:
            return isinstance(event, RateLimited)
        if isinstance(event, PageFetched):
            line.rows += event.rows
            line.pages += 1
        elif isinstance(event, RateLimited):
            line.waits += 1
            line.waited += event.seconds
            return True
        elif isinstance(event, StreamFinished):
            line.seconds = event.seconds
            line.rows = max(line.rows, event.totals.rows)
            return True
        return False

    def render_line(self, name: str, line: _StreamLine, now: float) -> str:
        total = f"/{line.total:,}" if line.total is not None else ""
        text = f"{name:<22} {line.rows:>10,}{total} rows  {line.pages:>6,} pages"
        if line.waits:
            text += f"  {line.waits} waits ({_duration(line.waited)})"
        if line.seconds is not None:
            return text + f"  done in {_duration(line.seconds)}"
        elapsed = max(now - line.started, 1e-9)
        rate = line.rows / elapsed
        text += f"  {rate:>8,.0f} rows/s"
        if line.total is not None and rate > 0 and line.rows < line.total:
            text += f"  ETA {_duration((line.total - line.rows) / rate)}"
        return text

    def _block(self, now: float) -> list[str]:
        return [self.render_line(n, ln, now)[: self.width - 1] for n, ln in self.lines.items()]

    def _erase(self) -> str:
        # Move to the start of the block's first line, then clear to the end of screen.
        return f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""

    def _draw(self, now: float) -> None:
        block = self._block(now)
        self.stream.write(self._erase() + "".join(line + "\n" for line in block))
        self.stream.flush()
        self._drawn = len(block)
        self._last_draw = now

    def _print_above(self, message: str) -> None:
        now = self.clock()
        block = self._block(now)
        text = redact(message)[: self.width - 1]
        self.stream.write(self._erase() + text + "\n" + "".join(ln + "\n" for ln in block))
        self.stream.flush()
        self._drawn = len(block)
        self._last_draw = now
