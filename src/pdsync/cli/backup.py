"""``pdsync backup create|list|prune|diff`` and ``pdsync restore`` (thin layer over :mod:`pdsync.backup`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.errors import PushError

_TO = click.option(
    "--to",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Backup root (default ./pipedrive-backups; one folder per account under it).",
)


@click.group("backup")
def backup() -> None:
    """Snapshots of a whole account: create, list, prune, compare (see docs/backup.md).

    Encrypted stores read their passphrase from PDSYNC_BACKUP_PASSPHRASE.
    """


@backup.command("create")
@_TO
@click.option("--label", default="", help="A name for this snapshot (usable as SNAPSHOT).")
@click.option("--with-files", is_flag=True, help="Also store the contents of attached files.")
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt a new store (AES-256-GCM; passphrase from PDSYNC_BACKUP_PASSPHRASE).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Re-read everything, followers and participants of unchanged records included.",
)
@connection_options
def create(
    root: Path | None,
    label: str,
    with_files: bool,
    encrypt: bool,
    full: bool,
    conn_flags: ConnectionFlags,
) -> None:
    """Take a snapshot of every stream; only what changed since the last one is stored.

    Later snapshots read only what changed since the previous one; a follower or
    participant added to a record that did not change otherwise is seen by the next
    --full snapshot (run one weekly, say).
    """
    from pdsync.backup import create_snapshot, open_account_store
    from pdsync.backup.capture import summary

    with open_client(conn_flags) as client:
        store = open_account_store(client, root, create=True, encrypt=encrypt)
        manifest, report = create_snapshot(
            client, store, account=store.folder.name, label=label, with_files=with_files, full=full
        )
    info = summary(manifest, store)
    click.echo(
        f"Snapshot {manifest.id} of {manifest.account}: {info['total_records']} records in "
        f"{len(manifest.streams)} streams, {_size(info['bytes'])} ({report.requests} requests)."
    )
    for stream, why in manifest.skipped.items():
        click.echo(f"  not read: {stream} ({why})", err=True)
    click.echo(f"Stored in {store.folder}", err=True)


@backup.command("list")
@_TO
@click.option("--json", "as_json", is_flag=True, help="One JSON document per snapshot.")
def list_snapshots(root: Path | None, as_json: bool) -> None:
    """Snapshots, oldest first: id, time, label, records per stream, size on disk."""
    from pdsync.backup import open_store
    from pdsync.backup.capture import summary

    store = open_store(root)
    ids = store.ids()
    for snapshot_id in ids:
        info = summary(store.load(snapshot_id), store)
        info["latest"] = snapshot_id == ids[-1]
        if as_json:
            click.echo(json.dumps(info))
            continue
        latest = "  (latest)" if info["latest"] else ""
        label = f"  {info['label']!r}" if info["label"] else ""
        click.echo(
            f"{info['id']}  {info['created']}{label}  {info['total_records']} records  "
            f"{_size(info['bytes'])}{latest}"
        )
        counts = ", ".join(f"{n} {s}" for s, n in info["records"].items() if n)
        click.echo(f"    {counts}")
    if not ids:
        click.echo("No snapshots yet.", err=True)


@backup.command("prune")
@_TO
@click.option("--keep-last", type=click.IntRange(0), default=0, help="Keep the newest N.")
@click.option(
    "--keep-daily", type=click.IntRange(0), default=0, help="Keep the newest of each of N days."
)
@click.option("--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
def prune_snapshots(root: Path | None, keep_last: int, keep_daily: int, dry_run: bool) -> None:
    """Remove old snapshots; the files kept snapshots need are never removed."""
    from pdsync.backup import open_store, prune

    result = prune(open_store(root), keep_last, keep_daily, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    click.echo(
        f"{verb} {len(result.removed)} snapshots, kept {len(result.kept)}; "
        f"{result.objects_removed} files ({_size(result.bytes_freed)}) freed."
    )
    for snapshot_id in result.removed:
        click.echo(f"  - {snapshot_id}", err=True)


@backup.command("diff")
@click.argument("first", metavar="A")
@click.argument("rest", nargs=-1, metavar="[B|live] [STREAM]...")
@_TO
@click.option("--json", "as_json", is_flag=True, help="The differences as JSON.")
@connection_options
def diff(
    first: str,
    rest: tuple[str, ...],
    root: Path | None,
    as_json: bool,
    conn_flags: ConnectionFlags,
) -> None:
    """Records added, deleted and changed between snapshot A and B (default: latest).

    B may be `live`: the account now, read with one listing of every stream (as a
    snapshot costs). After a restore from A, ids re-created by it are mapped.
    """
    from pdsync.backup import load_state, open_store
    from pdsync.backup.diff import diff_states, record_names, render
    from pdsync.backup.restore import load_id_map, restore_folder
    from pdsync.catalog.registry import CATALOG

    second = rest[0] if rest and rest[0] not in CATALOG else None
    streams = list(rest[1:] if second else rest)
    store = open_store(root)
    a = store.resolve(first)
    old = load_state(store, store.load(a))
    ids = None
    if second == "live":
        click.echo("Reading the account now (one listing of every stream)…", err=True)
        from pdsync.backup import read_account

        with open_client(conn_flags) as client:
            new = read_account(client, store, full_children=True).state
        ids = load_id_map(restore_folder(store, a))
        label_b = "live"
    else:
        b = store.resolve(second or "latest")
        new = load_state(store, store.load(b))
        label_b = b
    diffs = diff_states(old, new, streams, ids)
    if as_json:
        body = {"a": a, "b": label_b, "streams": [d.to_json() for d in diffs if not d.empty]}
        click.echo(json.dumps(body, default=str))
        return
    click.echo(f"{a} → {label_b}" + (" (re-created ids mapped)" if ids else ""))
    for line in render(diffs, record_names(old)):
        click.echo(line)


@click.command("restore")
@click.argument("snapshot")
@click.argument("streams", nargs=-1)
@_TO
@click.option("--ids", "ids_text", metavar="ID,...", help="Only these records (old ids).")
@click.option("--deleted", is_flag=True, help="Re-create deleted records.")
@click.option("--changed", is_flag=True, help="Revert changed records to the snapshot.")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@connection_options
def restore(
    snapshot: str,
    streams: tuple[str, ...],
    root: Path | None,
    ids_text: str | None,
    deleted: bool,
    changed: bool,
    dry_run: bool,
    conn_flags: ConnectionFlags,
) -> None:
    """Re-create deleted records and revert changed ones from SNAPSHOT (`latest` works).

    Without --deleted or --changed, both. Records are written in dependency order
    through push's plan, journal and apply, references rewired to re-created records;
    a killed restore resumes without duplicates when run again. With --connection
    naming another account, the snapshot is copied into it (users by email, pipelines
    and stages by name).
    """
    from pdsync.backup import RestoreOptions, account_name, open_account_store, run_restore
    from pdsync.push.plan import render_item

    options = RestoreOptions(
        streams=streams,
        ids=frozenset(i.strip() for i in (ids_text or "").split(",") if i.strip()),
        deleted=deleted or not changed,
        changed=changed or not deleted,
        dry_run=dry_run,
    )

    def show(stream: str, item: Any) -> None:
        if dry_run or item.status == "failed" or item.action == "error":
            click.echo(f"[{stream}] " + render_item(item, stream))

    with open_client(conn_flags) as client:
        store = open_account_store(client, root)
        chosen = store.resolve(snapshot)
        source, target = store.load(chosen).account, account_name(client)
        if source and source != target:
            click.echo(
                f"Restoring {source}'s snapshot into {target}: every record is created there;"
                " users are matched by email, pipelines and stages by name.",
                err=True,
            )
            options = dataclasses.replace(options, into=target)
        result = run_restore(client, store, chosen, options, on_item=show)
    for stream, counts in result.counts.items():
        click.echo(f"{stream}: " + ", ".join(f"{n} {a}" for a, n in sorted(counts.items())))
    for item in result.unrestorable:
        click.echo(f"not restored: {item.stream} #{item.key}: {item.reason}", err=True)
    if dry_run:
        click.echo("Dry run: nothing was written.", err=True)
    errors = sum(c.get("error", 0) + c.get("failed", 0) for c in result.counts.values())
    if errors:
        raise PushError(
            f"{errors} records could not be restored (listed above).",
            hint="Fix the cause and run the same command again; done records are skipped.",
        )


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"
