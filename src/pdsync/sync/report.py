"""The final summary of a sync: per stream rows inserted, updated, marked deleted; requests, tokens, time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pdsync.errors import PdsyncError
from pdsync.sync.context import StreamRun


@dataclass(frozen=True)
class StreamReport:
    stream: str
    table: str
    mode: str
    rows: int
    pages: int
    inserted: int
    updated: int
    deleted: int
    bookmark: str | None
    skipped: str | None = None
    unchanged: int = 0  # full reads: rows read again with the same values
    requests: int = 0  # API calls of child reads (top-level streams: see SyncReport.requests)
    # Values whose text was not valid Unicode (lone surrogate, NUL), stored with U+FFFD.
    repaired_text: int = 0
    repaired_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyncReport:
    streams: tuple[StreamReport, ...]
    requests: int
    tokens: int
    seconds: float
    ok: bool = True
    error: str | None = None
    hint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # What reads worked around (pages walked past, lists re-read in another order), one line each.
    warnings: tuple[str, ...] = ()

    @property
    def totals(self) -> dict[str, int]:
        return {
            "rows": sum(s.rows for s in self.streams),
            "inserted": sum(s.inserted for s in self.streams),
            "updated": sum(s.updated for s in self.streams),
            "unchanged": sum(s.unchanged for s in self.streams),
            "deleted": sum(s.deleted for s in self.streams),
        }

    def stream(self, name: str) -> StreamReport:
        return next(s for s in self.streams if s.stream == name)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["totals"] = self.totals
        return data


def build_report(
    runs: Mapping[str, StreamRun],
    *,
    requests: int,
    tokens: int,
    seconds: float,
    error: PdsyncError | None = None,
    interrupted: bool = False,
    warnings: tuple[str, ...] = (),
) -> SyncReport:
    streams = tuple(
        StreamReport(
            stream=run.name,
            table=run.schema.name,
            mode=run.selection.mode,
            rows=run.counters.rows,
            pages=run.counters.pages,
            inserted=run.counters.inserted,
            updated=run.counters.updated,
            deleted=run.counters.deleted,
            bookmark=run.state.bookmark,
            skipped=run.skipped,
            unchanged=run.counters.unchanged,
            requests=run.counters.requests,
            repaired_text=sum(run.text_repairs.values()),
            repaired_columns=tuple(sorted(run.text_repairs)),
        )
        for run in runs.values()
    )
    return SyncReport(
        streams=streams,
        requests=requests,
        tokens=tokens,
        seconds=round(seconds, 3),
        ok=not interrupted,
        error=error.message if error else ("interrupted" if interrupted else None),
        hint=error.hint if error else None,
        warnings=warnings,
    )


def format_report(report: SyncReport) -> str:
    """A plain-text table, one line per stream, then the totals."""
    headers = ("stream", "mode", "rows", "inserted", "updated", "unchanged", "deleted")
    body = [
        (
            s.stream,
            "skipped" if s.skipped else s.mode.replace("_", "-"),
            s.rows,
            s.inserted,
            s.updated,
            s.unchanged,
            s.deleted,
        )
        for s in report.streams
    ]
    totals = report.totals
    footer = (
        "total",
        "",
        totals["rows"],
        totals["inserted"],
        totals["updated"],
        totals["unchanged"],
        totals["deleted"],
    )
    table = [headers, *body, footer]
    widths = [max(len(_cell(row[i])) for row in table) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(table):
        cells = [
            _cell(v).ljust(w) if i < 2 else _cell(v).rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0 or index == len(table) - 2:
            lines.append("  ".join("-" * w for w in widths))
    lines.extend(text_repair_warnings(report))
    status = "finished" if report.ok else "stopped early (committed work is kept)"
    lines.append(
        f"Sync {status} in {report.seconds:.1f} s: {report.requests:,} requests, "
        f"{report.tokens:,} tokens."
    )
    lines.extend(f"Warning: {w}" for w in report.warnings)
    return "\n".join(lines)


def text_repair_warnings(report: SyncReport) -> list[str]:
    """One warning per stream that had text no destination can store (repaired, not lost)."""
    return [
        "Warning: " + text_repair_warning(s.stream, s.repaired_text, s.repaired_columns)
        for s in report.streams
        if s.repaired_text
    ]


def text_repair_warning(stream: str, count: int, columns: Iterable[str]) -> str:
    """How many of a stream's values were repaired, and in which columns."""
    return (
        f"{stream}: {count:,} value(s) held text that is not valid Unicode (a lone surrogate "
        f"or NUL) and were stored with U+FFFD in its place (columns: {', '.join(sorted(columns))})."
    )


def _cell(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)
