"""Progress events and their sinks: redaction, JSON lines, plain lines, the TTY display."""

from __future__ import annotations

import io
import json
import logging

import pytest

from pdsync.progress import (
    BatchCommitted,
    FanOut,
    JsonLinesSink,
    LogSink,
    PageFetched,
    RateLimited,
    StreamFinished,
    StreamStarted,
    StreamTotals,
    SyncFinished,
    SyncStarted,
    SyncWarning,
    TextLinesSink,
    TtyProgress,
    make_sink,
)
from pdsync.redact import register_secret

SECRET = "tok_9f8e7d6c5b4a"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_events_carry_no_secret() -> None:
    register_secret(SECRET)
    warning = SyncWarning(f"GET /v1/x?api_token={SECRET} failed", stream="deals")
    started = SyncStarted(("deals",), target="postgresql://bob:hunter2pw@db/x")
    assert SECRET not in warning.message and "hunter2pw" not in started.target
    out = io.StringIO()
    JsonLinesSink(out)(warning)
    assert SECRET not in out.getvalue()


def test_json_lines_sink() -> None:
    out = io.StringIO()
    sink = JsonLinesSink(out, clock=lambda: 0.0)
    totals = StreamTotals(rows=10, pages=1, inserted=7, updated=3)
    sink(BatchCommitted("deals", 7, 3, 0, bookmark="2024-01-01T00:00:00Z"))
    sink(SyncFinished({"deals": totals}, seconds=1.5))
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first == {
        "ts": "1970-01-01T00:00:00.000Z",
        "event": "batch_committed",
        "stream": "deals",
        "inserted": 7,
        "updated": 3,
        "deleted": 0,
        "bookmark": "2024-01-01T00:00:00Z",
    }
    assert second["event"] == "sync_finished" and second["summary"]["deals"]["inserted"] == 7


def test_text_lines_skip_pages() -> None:
    out = io.StringIO()
    sink = TextLinesSink(out, clock=lambda: 3661.0)
    sink(PageFetched("deals", rows=500, page=1))
    sink(StreamFinished("deals", StreamTotals(rows=500, inserted=500), seconds=2.0))
    assert out.getvalue() == (
        "01:01:01 deals: done in 2.0s — 500 rows, 500 inserted, 0 updated, 0 deleted\n"
    )


def test_log_sink_levels(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pdsync.sync")
    sink = LogSink()
    sink(PageFetched("deals", rows=5, page=2, partition="2020..2021"))
    sink(RateLimited(2.0, "burst window", stream="deals"))
    sink(SyncWarning("odd"))
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "deals [2020..2021]: page 2, 5 rows"),
        (logging.INFO, "deals: rate limited, waiting 2.0s (burst window)"),
        (logging.WARNING, "warning: odd"),
    ]


def test_fan_out_calls_every_sink() -> None:
    seen: list[str] = []
    fan = FanOut(lambda e: seen.append("a" + e.kind), lambda e: seen.append("b" + e.kind))
    fan(SyncWarning("x"))
    assert seen == ["awarning", "bwarning"]


def test_tty_display_rows_pages_waits_and_eta() -> None:
    clock = FakeClock()
    out = io.StringIO()
    tty = TtyProgress(out, clock=clock, min_interval=0.5, width=200)
    tty(StreamStarted("deals", total=1000))
    clock.now += 10
    tty(PageFetched("deals", rows=500, page=1))
    tty(RateLimited(3.0, "burst", stream="deals"))
    line = tty.render_line("deals", tty.lines["deals"], clock.now)
    assert "500/1,000 rows" in line and "1 pages" in line and "1 waits (3s)" in line
    assert "50 rows/s" in line and "ETA 10s" in line
    clock.now += 0.1
    before = out.getvalue()
    tty(PageFetched("deals", rows=1, page=2))  # within min_interval: not redrawn
    assert out.getvalue() == before
    tty(StreamFinished("deals", StreamTotals(rows=501), seconds=75))
    assert "done in 1m15s" in out.getvalue().splitlines()[-1]
    assert "\x1b[1F\x1b[J" in out.getvalue()  # redrawn in place


def test_tty_prints_warnings_and_summary_above_the_block() -> None:
    out = io.StringIO()
    tty = TtyProgress(out, clock=FakeClock(), width=40)
    tty(StreamStarted("persons"))
    tty(SyncWarning("x" * 100))
    assert "\x1b[J" + "warning: " + "x" * 30 + "\n" in out.getvalue()  # clipped to the width
    tty(SyncFinished({"persons": StreamTotals(rows=3)}, seconds=1.0))
    assert out.getvalue().endswith("\nsync finished in 1.0s: 3 rows in 1 stre\n")


def test_make_sink_picks_by_format_and_terminal() -> None:
    out = io.StringIO()
    assert isinstance(make_sink(out, "json"), JsonLinesSink)
    assert isinstance(make_sink(out, "text", tty=True), TtyProgress)
    assert isinstance(make_sink(out, "text"), TextLinesSink)  # StringIO is not a TTY
