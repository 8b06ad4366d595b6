"""The result of an audit: per stream what the API lists, what the replica holds, and the gaps.

Words used throughout (and in ``docs/verify.md``):

- **api**: records the API listed (for deals: every status, ``deleted`` included);
- **replica**: rows of the replica table, marked deleted or not;
- **missing**: listed by the API (deleted deals included) but absent from the replica;
- **extra**: alive in the replica (not marked deleted) but not listed alive by the API;
- **hidden**: listed alive by the API but marked deleted in the replica.

A stream is *complete* when all three gaps are 0 and every page was seen. A sample
(``--sample N``) only sees the records on its pages: it measures missing and hidden
for them; extra needs a whole listing and is not measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from pdsync.verify.replica import Key, ReplicaKeys

EXAMPLES = 10  # ids shown per gap


@dataclass(frozen=True)
class StreamResult:
    stream: str
    api: int = 0
    api_deleted: int = 0  # listed with a deleted status (deals)
    replica: int = 0
    replica_deleted: int = 0
    missing: int = 0
    extra: int | None = 0  # None: not measured (a sample)
    hidden: int = 0
    requests: int = 0
    pages: int = 0
    gaps: int = 0  # pages that stayed empty although more was promised: not seen
    sampled: bool = False
    skipped: str | None = None  # why this stream was not checked
    missing_ids: tuple[str, ...] = ()
    extra_ids: tuple[str, ...] = ()
    hidden_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Nothing missing, extra or hidden, and no page unseen (skipped streams count as not)."""
        return (
            self.skipped is None
            and self.missing == 0
            and not self.extra
            and self.hidden == 0
            and self.gaps == 0
        )

    @property
    def status(self) -> str:
        if self.skipped is not None:
            return "skipped"
        if not self.complete:
            return "INCOMPLETE"
        return "ok (sample)" if self.sampled else "complete"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status
        data["complete"] = self.complete
        return data


@dataclass
class LiveKeys:
    """What the API listed for one stream."""

    alive: set[Key] = field(default_factory=set)
    deleted: set[Key] = field(default_factory=set)  # listed with a deleted status
    pages: int = 0
    gaps: int = 0

    def add(self, key: Key | None, deleted: bool) -> None:
        if key is not None:
            (self.deleted if deleted else self.alive).add(key)


def compare(
    stream: str,
    live: LiveKeys,
    replica: ReplicaKeys,
    *,
    requests: int,
    sampled: bool = False,
    replica_scope: set[Key] | None = None,
    notes: Iterable[str] = (),
) -> StreamResult:
    """Set arithmetic of one stream.

    ``replica_scope``: for a sample of child rows, the replica keys that belong to the
    sampled parents (extra is measured among them only).
    """
    deleted_live = live.deleted - live.alive
    listed = live.alive | deleted_live
    held = replica.alive | replica.marked
    missing = sorted(listed - held)
    hidden = sorted(live.alive & replica.marked)
    extra: list[Key] | None = None
    if not sampled:
        extra = sorted(replica.alive - live.alive)
    elif replica_scope is not None:
        extra = sorted((replica.alive & replica_scope) - live.alive)
    return StreamResult(
        stream=stream,
        api=len(listed),
        api_deleted=len(deleted_live),
        replica=replica.rows,
        replica_deleted=len(replica.marked),
        missing=len(missing),
        extra=None if extra is None else len(extra),
        hidden=len(hidden),
        requests=requests,
        pages=live.pages,
        gaps=live.gaps,
        sampled=sampled,
        missing_ids=_examples(missing),
        extra_ids=_examples(extra or []),
        hidden_ids=_examples(hidden),
        notes=tuple(notes),
    )


def _examples(keys: list[Key]) -> tuple[str, ...]:
    return tuple(",".join(k) for k in keys[:EXAMPLES])


@dataclass(frozen=True)
class VerifyReport:
    streams: tuple[StreamResult, ...]
    requests: int
    tokens: int
    seconds: float
    sample: int | None = None  # pages per stream when a sample

    @property
    def checked(self) -> tuple[StreamResult, ...]:
        return tuple(s for s in self.streams if s.skipped is None)

    @property
    def incomplete(self) -> tuple[StreamResult, ...]:
        return tuple(s for s in self.checked if not s.complete)

    @property
    def ok(self) -> bool:
        return not self.incomplete

    def verdict(self) -> str:
        """One line: what was proven, or what is wrong."""
        skipped = len(self.streams) - len(self.checked)
        tail = f", {skipped} skipped" if skipped else ""
        scope = f"a sample of {self.sample} page(s) per stream" if self.sample else "full listing"
        if self.ok:
            if self.sample:
                return (
                    f"No loss found in {scope} ({len(self.checked)} streams{tail}); "
                    "a sample proves nothing about the pages it did not read."
                )
            return f"Replica complete: {len(self.checked)} streams match the API{tail}."
        parts = []
        for s in self.incomplete:
            gaps = [f"{s.missing:,} missing"] if s.missing else []
            gaps += [f"{s.extra:,} extra"] if s.extra else []
            gaps += [f"{s.hidden:,} hidden"] if s.hidden else []
            gaps += [f"{s.gaps} page(s) unseen"] if s.gaps else []
            parts.append(f"{s.stream} ({', '.join(gaps)})")
        return f"Replica INCOMPLETE ({scope}): " + "; ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verdict": self.verdict(),
            "sample": self.sample,
            "requests": self.requests,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 3),
            "streams": [s.to_dict() for s in self.streams],
        }


def format_report(report: VerifyReport) -> str:
    """A table of every stream, then the verdict."""
    header = ("stream", "api", "replica", "missing", "extra", "hidden", "requests", "status")
    rows = [header]
    for s in report.streams:
        if s.skipped is not None:
            rows.append((s.stream, "", "", "", "", "", "", f"skipped: {s.skipped}"))
            continue
        extra = "n/a" if s.extra is None else f"{s.extra:,}"
        rows.append(
            (
                s.stream,
                f"{s.api:,}",
                f"{s.replica:,}",
                f"{s.missing:,}",
                extra,
                f"{s.hidden:,}",
                f"{s.requests:,}",
                s.status,
            )
        )
    widths = [max(len(r[i]) for r in rows if len(r[i]) < 40) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        numbers = [c.rjust(w) for c, w in zip(row[1:-1], widths[1:], strict=True)]
        lines.append("  ".join([row[0].ljust(widths[0]), *numbers, row[-1]]).rstrip())
    for s in report.incomplete:
        for label, ids in (
            ("missing", s.missing_ids),
            ("extra", s.extra_ids),
            ("hidden", s.hidden_ids),
        ):
            if ids:
                lines.append(
                    f"  {s.stream} {label}: {', '.join(ids)}{' …' if len(ids) == EXAMPLES else ''}"
                )
    for s in report.streams:
        lines.extend(f"  {s.stream}: {note}" for note in s.notes)
    lines.append(f"{report.requests:,} requests, ~{report.tokens:,} tokens, {report.seconds:.1f} s")
    lines.append(report.verdict())
    return "\n".join(lines)
