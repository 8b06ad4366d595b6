"""What ``pdsync sync`` does, callable from Python: resolve the request, open both ends, run, report.

The replication file, the command-line streams and flags are resolved into
stream selections; the target is ``--target``, else the file's ``target``, else
``sqlite:///pipedrive.db``; the connection is the file's ``source`` unless a
connection was given. The report is handed to ``on_report`` even when the sync
stops early (daily budget spent, Ctrl-C), before the error propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TextIO

from pdsync.api.client import PipedriveClient
from pdsync.catalog.registry import CATALOG
from pdsync.destinations import open_destination
from pdsync.progress import RateLimited, SyncWarning, make_sink
from pdsync.sync.deletes import DEFAULT_RECONCILE_EVERY
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import (
    load_replication,
    opt_in_left_out,
    parse_since,
    select_streams,
    target_with_schema,
)
from pdsync.sync.report import SyncReport

# Streams that cost a call per changed parent (and per parent on their first sync):
# synced only when named, on the command line or in a replication file.
OPT_IN_STREAMS = frozenset(s.name for s in CATALOG.values() if s.opt_in)

ClientFactory = Callable[[str | None, Callable[[float, str], None]], PipedriveClient]


@dataclass(frozen=True)
class SyncRequest:
    streams: Sequence[str] = ()
    target: str | None = None
    config_file: str | None = None
    full_refresh: bool = False
    since: str | None = None
    reconcile_every: timedelta | None = DEFAULT_RECONCILE_EVERY
    workers: int = 4
    exclude: Sequence[str] = ()  # names or patterns taken out of the selection
    extended_requests: bool | None = None  # None: as the replication file says (default on)


def default_streams() -> list[str]:
    return [name for name in CATALOG if name not in OPT_IN_STREAMS]


def incremental_capable() -> dict[str, bool]:
    """Stream -> whether it can be read incrementally.

    Top-level streams need an ``updated_since`` read; child streams are incremental
    through their parent (only the children of parents changed since the child's
    bookmark are read), so they count as incremental too.
    """
    return {
        name: spec.incremental is not None
        or (spec.parent is not None and spec.mode == "incremental")
        for name, spec in CATALOG.items()
    }


def run_sync(
    request: SyncRequest,
    *,
    client_factory: ClientFactory,
    log_format: str = "text",
    progress_stream: TextIO | None = None,
    on_report: Callable[[SyncReport], None] | None = None,
) -> SyncReport:
    config = load_replication(request.config_file) if request.config_file else None
    since = parse_since(request.since) if request.since else None
    capable = incremental_capable()
    selections = select_streams(
        capable,
        requested=list(request.streams),
        config=config,
        full_refresh=request.full_refresh,
        since=since,
        opt_in=OPT_IN_STREAMS,
        exclude=request.exclude,
        extended_requests=request.extended_requests,
    )
    sink: Any = make_sink(progress_stream, log_format) if progress_stream else (lambda e: None)  # type: ignore[arg-type]
    left_out = opt_in_left_out(request.streams, config, OPT_IN_STREAMS)
    if left_out:
        sink(
            SyncWarning(
                f"Opt-in streams matched but not synced (a request per parent): "
                f"{', '.join(left_out)}. Name them to sync them."
            )
        )
    target = request.target or (config.target if config else None)
    destination = open_destination(target_with_schema(target, selections))
    try:
        client = client_factory(
            config.source if config else None,
            lambda seconds, reason: sink(RateLimited(seconds, reason)),
        )
        with client:
            engine = SyncEngine(
                client,
                destination,
                selections,
                SyncOptions(workers=request.workers, reconcile_every=request.reconcile_every),
                sink=sink,
            )
            try:
                report = engine.run()
            finally:
                if engine.report is not None and on_report is not None:
                    on_report(engine.report)
            return report
    finally:
        destination.close()
