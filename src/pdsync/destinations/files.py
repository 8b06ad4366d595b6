"""The files destination (``file:///data/pipedrive?format=parquet|csv|jsonl``).

Layout: a folder per table holding immutable batch files (``0000000042.parquet``), and
``_pdsync_manifest.json`` at the top listing the committed files, the columns, the sync
state and the field mappings. A batch writes its file atomically (temp + rename), then
commits by replacing the manifest atomically: files not in the manifest do not exist as
far as pdsync is concerned, so a crash at any point loses and duplicates nothing.

Merge semantics: batch files are a change log; a table's rows are the latest-wins view
over it (see :mod:`pdsync.destinations.files_view`), read through DuckDB — which is why
this destination needs ``pdsync[duckdb]`` (and ``pdsync[parquet]`` for Parquet).
:meth:`FilesDestination.compact` rewrites a table's log as one file; it runs by itself
when a table reaches ``compact_after`` files (``?compact_after=``, default 200).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pdsync.destinations.base import (
    INTERNAL_PREFIX,
    WRITE_MODES,
    Batch,
    BatchResult,
    FieldRecord,
    utc_now,
)
from pdsync.destinations.duckdb import DuckDBQueryResult, import_duckdb
from pdsync.destinations.files_io import (
    FORMATS,
    OP,
    SEQ,
    extension,
    import_pyarrow,
    write_batch_file,
)
from pdsync.destinations.files_manifest import (
    MANIFEST_NAME,
    BatchFile,
    Manifest,
    TableEntry,
    write_atomically,
)
from pdsync.destinations.files_view import table_sql
from pdsync.destinations.identifiers import allocate_physical, check_identifier, quote
from pdsync.destinations.sql_base import encode_batch
from pdsync.destinations.sqlite_ddl import full_columns
from pdsync.destinations.urls import DestinationUrl
from pdsync.errors import ConfigError, DestinationError, SchemaError
from pdsync.schema import DELETED_AT, Column, TableSchema
from pdsync.sync.state import StreamState, SyncState

__all__ = ["FilesDestination"]

_SAFE_FOLDER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,80}")
_BATCH_FILE = re.compile(r"\d{10}\.(parquet|csv|jsonl)")
_KEY_TYPES = {"integer": "BIGINT", "real": "DOUBLE"}


def folder_name(table: str) -> str:
    """A folder name for ``table``: itself when filesystem-safe, else a slug plus a hash."""
    if _SAFE_FOLDER.fullmatch(table):
        return table
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", table).strip("_")[:40] or "table"
    return f"{slug}-{hashlib.sha1(table.encode()).hexdigest()[:10]}"


class FilesDestination:
    """A pdsync replica as a folder of change-log files. Thread-safe; one writer at a time."""

    def __init__(
        self,
        root: str | Path,
        *,
        fmt: str = "parquet",
        readonly: bool = False,
        url: str | None = None,
        compact_after: int = 200,
    ) -> None:
        self.root = Path(root)
        self.format = extension(fmt)
        self.readonly = readonly
        self.url = url or f"file://{self.root}?format={fmt}"
        self.compact_after = compact_after
        self._lock = threading.RLock()
        self._duckdb = import_duckdb()
        if self.format == "parquet":
            import_pyarrow()
        self._manifest = self._open()
        self._db = self._duckdb.connect(":memory:")
        self._refresh_views()

    @classmethod
    def from_url(cls, url: DestinationUrl, *, readonly: bool = False) -> FilesDestination:
        if url.host not in (None, "", "localhost"):
            raise ConfigError(
                f"A file URL names a local folder, not a host: {url.safe!r}.",
                hint="Use three slashes: file:///data/pipedrive?format=parquet.",
            )
        path = url.path
        if path.startswith("/"):
            path = "/" + path.lstrip("/")  # file:///data and file:////data are the same
        if path.startswith("/~"):
            path = path[1:]
        if not path or path == "/":
            raise ConfigError(
                f"The file URL {url.safe!r} names no folder.",
                hint="Use e.g. file:///data/pipedrive?format=parquet.",
            )
        fmt = url.options.get("format", "parquet").lower()
        if fmt not in FORMATS:
            raise ConfigError(
                f"Unknown format={fmt!r} in {url.safe!r}.",
                hint="Use format=parquet, format=csv or format=jsonl.",
            )
        every = url.options.get("compact_after", "200")
        if not every.isdigit() or int(every) < 2:
            raise ConfigError(
                f"compact_after={every!r} in {url.safe!r} is not a whole number ≥ 2.",
                hint="Use e.g. compact_after=200.",
            )
        return cls(
            Path(path).expanduser(),
            fmt=fmt,
            readonly=readonly,
            url=url.safe,
            compact_after=int(every),
        )

    # -- opening -----------------------------------------------------------------------------

    @property
    def _manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    def _open(self) -> Manifest:
        if self._manifest_path.is_file():
            manifest = Manifest.load(self._manifest_path)
            if manifest.format != self.format:
                raise ConfigError(
                    f"{self.root} holds a {manifest.format} replica, not {self.format}.",
                    hint=f"Use format={manifest.format} in the URL, or another folder.",
                )
            if not self.readonly:
                self._sweep(manifest)
            return manifest
        if self.readonly:
            raise DestinationError(
                f"No pdsync files replica at {self.root}.",
                hint="Run `pdsync sync` first, or point --target at an existing replica.",
            )
        if self.root.is_dir() and any(not p.name.startswith(".") for p in self.root.iterdir()):
            raise DestinationError(
                f"{self.root} is not empty and is not a pdsync replica (no {MANIFEST_NAME}).",
                hint="pdsync will not write into another application's folder: use a new one.",
            )
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            manifest = Manifest(format=self.format, created_at=utc_now())
            write_atomically(self._manifest_path, manifest.to_json().encode())
        except OSError as exc:
            raise DestinationError(
                f"Cannot create the replica folder {self.root}: {exc.strerror}.",
                hint="Choose a folder you can write to.",
            ) from None
        return manifest

    def _sweep(self, manifest: Manifest) -> None:
        """Remove batch files a crash left behind: written, but never committed."""
        for entry in manifest.tables.values():
            folder = self.root / folder_name(entry.name)
            if not folder.is_dir():
                continue
            listed = {f.name for f in (*entry.files, *(entry.staging or ()))}
            for path in folder.iterdir():
                stray = path.name.endswith(".tmp") or (
                    _BATCH_FILE.fullmatch(path.name) is not None and path.name not in listed
                )
                if stray:
                    path.unlink(missing_ok=True)

    def _refresh_views(self, only: str | None = None) -> None:
        for entry in self._manifest.tables.values():
            if only is not None and entry.name != only:
                continue
            sql = table_sql(entry, self.root / folder_name(entry.name), self.format, entry.files)
            self._db.execute(f"CREATE OR REPLACE VIEW {quote(entry.name)} AS {sql}")

    # -- schema -------------------------------------------------------------------------------

    def _evolve(self, schema: TableSchema) -> TableEntry:
        check_identifier(schema.name, "table")
        if schema.name.startswith(INTERNAL_PREFIX):
            raise SchemaError(
                f"Table name {schema.name!r} is reserved: names starting with "
                f"{INTERNAL_PREFIX!r} belong to pdsync.",
                hint="Give the stream another table name.",
            )
        missing = [k for k in schema.primary_key if schema.column(k) is None]
        if missing:
            raise SchemaError(
                f"Table {schema.name!r}: primary key column(s) {missing} are not in its columns.",
                hint="This is a bug in the stream's declaration; please report it.",
            )
        columns = full_columns(schema)
        entry = self._manifest.tables.get(schema.name)
        if entry is None:
            entry = TableEntry(schema.name, (), tuple(schema.primary_key))
        elif entry.primary_key != tuple(schema.primary_key):
            raise SchemaError(
                f"Table {schema.name!r} has primary key {list(entry.primary_key)}, "
                f"but the stream now declares {list(schema.primary_key)}.",
                hint="A primary key cannot change in place: sync into a new target.",
            )
        new = [c for c in columns if c.name not in entry.physical]
        if not new:
            return entry
        phys = allocate_physical(entry.physical, [c.name for c in new])
        added = tuple((c.name, phys[c.name], c.type) for c in new)
        return replace(entry, columns=entry.columns + added)

    def ensure_table(self, schema: TableSchema) -> TableSchema:
        with self._lock:
            self._check_writable()
            entry = self._evolve(schema)
            if entry != self._manifest.tables.get(schema.name):
                self._commit(
                    replace(self._manifest, tables={**self._manifest.tables, entry.name: entry}), []
                )
        declared = {c.name: c for c in full_columns(schema)}
        cols = tuple(
            Column(physical, kind, *((declared[logical].source,) if logical in declared else ()))
            for logical, physical, kind in entry.columns
        )
        key = tuple(entry.physical[k] for k in schema.primary_key)
        cursor = entry.physical.get(schema.cursor) if schema.cursor else None
        return TableSchema(schema.name, cols, key, cursor, schema.indexes)

    # -- writing ---------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.readonly:
            raise DestinationError(
                f"{self.url} is open read-only.", hint="Open it without readonly to write."
            )

    def write_batch(self, batch: Batch) -> BatchResult:
        if batch.mode not in WRITE_MODES:
            raise DestinationError(
                f"Unknown write mode {batch.mode!r}.", hint=f"Use one of {', '.join(WRITE_MODES)}."
            )
        if batch.deleted_ids and batch.mode.startswith("replace"):
            raise DestinationError(
                "A full-refresh batch cannot also mark deletes.",
                hint="Send deletes in a merge batch; a refresh replaces the whole table anyway.",
            )
        with self._lock:
            self._check_writable()
            return self._write(batch)

    def _write(self, batch: Batch) -> BatchResult:
        entry = self._evolve(batch.schema)
        dropped: list[BatchFile] = []
        if batch.mode == "replace_begin":
            dropped = list(entry.staging or ())
            entry = replace(entry, staging=())
        staging = batch.mode.startswith("replace")
        if staging and entry.staging is None:
            raise DestinationError(
                f"No full refresh of {entry.name!r} is in progress.",
                hint="Start a refresh with a 'replace_begin' batch.",
            )
        names, columns = encode_batch(batch, dedupe=batch.mode != "append")
        key_cols = [columns[names.index(k)] for k in batch.schema.primary_key]
        keys = list(zip(*key_cols, strict=True)) if key_cols and batch.rows else []
        existing = self._existing(entry, entry.staging if staging else entry.files, keys)
        if batch.mode == "append" and (len(set(keys)) < len(keys) or existing):
            raise DestinationError(
                f"Append to {entry.name!r} would duplicate primary keys (e.g. {next(iter(existing or keys))}).",
                hint="A row broke a table constraint (a duplicate key in append mode); nothing of the batch was written.",
            )
        deleted = columns[names.index(DELETED_AT)] if batch.rows else []
        tombstones = self._tombstones(batch, entry, keys, deleted)
        seq = self._manifest.seq + 1
        shape = names if batch.rows else self._tomb_names(entry)
        out = [list(c) for c in columns] if batch.rows else [[] for _ in shape]
        for tomb in tombstones:
            for i, value in enumerate(tomb):
                out[i].append(value)
        ups, downs = (len(columns[0]) if batch.rows else 0), len(tombstones)
        out.append([seq * 2] * ups + [seq * 2 + 1] * downs)
        out.append(["upsert"] * ups + ["delete"] * downs)
        written = self._write_file(entry, seq, shape, out)
        try:
            if written is not None:
                entry = entry.with_file(written, staging=staging)
            if batch.mode == "replace_commit":
                dropped = list(entry.files)
                entry = replace(entry, files=entry.staging or (), staging=None)
            manifest = replace(
                self._manifest,
                seq=seq,
                tables={**self._manifest.tables, entry.name: entry},
                state={
                    **self._manifest.state,
                    **{s.stream: s.to_json() for s in batch.state.values()},
                },
                fields=_merged_fields(self._manifest.fields, batch.field_mappings, batch.synced_at),
            )
            self._commit(manifest, [self.root / folder_name(entry.name) / f.name for f in dropped])
        except BaseException:
            if written is not None:
                (self.root / folder_name(entry.name) / written.name).unlink(missing_ok=True)
            raise
        if len(entry.files) >= self.compact_after:
            self.compact(entry.name)
        inserted = sum(1 for k in set(keys) if k not in existing)
        return BatchResult(batch.stream, inserted, len(set(keys)) - inserted, len(tombstones))

    def _tomb_names(self, entry: TableEntry) -> list[str]:
        return [*entry.primary_key, DELETED_AT]

    def _tombstones(
        self,
        batch: Batch,
        entry: TableEntry,
        keys: list[tuple[Any, ...]],
        deleted: list[Any],
    ) -> list[tuple[Any, ...]]:
        """Tombstones for deleted ids that name a row alive once this batch's rows are in."""
        if not batch.deleted_ids:
            return []
        if not entry.primary_key:
            raise DestinationError(
                f"Table {entry.name!r} has no primary key, so deletes cannot be marked.",
                hint="Declare a primary key for the stream.",
            )
        width = len(entry.primary_key)
        wanted = list(dict.fromkeys(_as_key(i, width) for i in batch.deleted_ids))
        alive = dict(self._existing(entry, entry.files, wanted))
        alive.update({key: mark is None for key, mark in zip(keys, deleted, strict=True)})
        mark = batch.deleted_at or batch.synced_at
        shape = (
            [c.name for c in full_columns(batch.schema)] if batch.rows else self._tomb_names(entry)
        )
        out = []
        for key in wanted:
            if alive.get(key):
                row: list[Any] = [None] * len(shape)
                for name, value in zip(entry.primary_key, key, strict=True):
                    row[shape.index(name)] = value
                row[shape.index(DELETED_AT)] = mark
                out.append(tuple(row))
        return out

    def _existing(
        self, entry: TableEntry, files: Sequence[BatchFile] | None, keys: Sequence[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], bool]:
        """Which of ``keys`` are rows in ``files``, each with whether it is alive."""
        if not keys or not files or not entry.primary_key:
            return {}
        folder = self.root / folder_name(entry.name)
        view = table_sql(entry, folder, self.format, files, only=(DELETED_AT,))
        types = entry.types
        lists = ", ".join(
            f"unnest(?::{_KEY_TYPES.get(types[k], 'VARCHAR')}[]) AS k{i}"
            for i, k in enumerate(entry.primary_key)
        )
        on = " AND ".join(
            f"CAST(v.{quote(entry.physical[k])} AS VARCHAR) = CAST(w.k{i} AS VARCHAR)"
            for i, k in enumerate(entry.primary_key)
        )
        key_cols = ", ".join(f"w.k{i}" for i in range(len(entry.primary_key)))
        deleted = quote(entry.physical[DELETED_AT])
        params = [[k[i] for k in keys] for i in range(len(entry.primary_key))]
        rows = self._db.execute(
            f"WITH w AS (SELECT {lists}) SELECT {key_cols}, v.{deleted} IS NULL "
            f"FROM ({view}) v JOIN w ON {on}",
            params,
        ).fetchall()
        by_text = {tuple(str(x) for x in k): k for k in keys}
        return {by_text[tuple(str(x) for x in r[:-1])]: bool(r[-1]) for r in rows}

    def _write_file(
        self, entry: TableEntry, seq: int, names: list[str], columns: list[list[Any]]
    ) -> BatchFile | None:
        """Write one batch file: ``columns`` holds ``names``' values, then seq and op."""
        if not columns[-1]:
            return None
        folder = self.root / folder_name(entry.name)
        folder.mkdir(exist_ok=True)
        physical = [entry.physical[n] for n in names] + [SEQ, OP]
        types = [entry.types[n] for n in names] + ["integer", "text"]
        name = f"{seq:010d}.{self.format}"
        try:
            write_batch_file(folder / name, self.format, physical, types, columns)
        except OSError as exc:
            raise DestinationError(
                f"Cannot write {folder / name}: {exc.strerror}.",
                hint="Check the folder's permissions and the free disk space; nothing of the batch was committed.",
            ) from None
        return BatchFile(name, seq, tuple(names), len(columns[-1]))

    def _commit(self, manifest: Manifest, obsolete: Sequence[Path]) -> None:
        """Make ``manifest`` the committed one, then drop files it no longer lists."""
        try:
            write_atomically(self._manifest_path, manifest.to_json().encode())
        except OSError as exc:
            raise DestinationError(
                f"Cannot write {self._manifest_path}: {exc.strerror}.",
                hint="Check the folder's permissions and the free disk space; nothing of the batch was committed.",
            ) from None
        changed = [n for n, t in manifest.tables.items() if self._manifest.tables.get(n) != t]
        self._manifest = manifest
        for name in changed:
            self._refresh_views(name)
        for path in obsolete:
            path.unlink(missing_ok=True)

    def compact(self, table: str | None = None) -> int:
        """Rewrite each table's change log (or ``table``'s) as one file; returns files removed."""
        removed = 0
        with self._lock:
            self._check_writable()
            for name in [table] if table else list(self._manifest.tables):
                entry = self._manifest.tables[name]
                if len(entry.files) < 2:
                    continue
                rows = self._db.execute(f"SELECT * FROM {quote(name)}").fetchall()
                seq = self._manifest.seq + 1
                names = [logical for logical, _, _ in entry.columns]
                columns = [list(c) for c in zip(*rows, strict=True)] or [[] for _ in names]
                columns += [[seq * 2] * len(rows), ["upsert"] * len(rows)]
                written = self._write_file(entry, seq, names, columns)
                compacted = replace(entry, files=(written,) if written else ())
                folder = self.root / folder_name(name)
                self._commit(
                    replace(
                        self._manifest, seq=seq, tables={**self._manifest.tables, name: compacted}
                    ),
                    [folder / f.name for f in entry.files],
                )
                removed += len(entry.files)
        return removed

    # -- reading -------------------------------------------------------------------------------

    def read_state(self) -> SyncState:
        with self._lock:
            saved = dict(self._manifest.state)
        return SyncState({s: StreamState.from_json(text) for s, text in saved.items()})

    def read_fields(self, entity: str | None = None) -> list[FieldRecord]:
        with self._lock:
            records = [FieldRecord(**f) for f in self._manifest.fields]
        chosen = [r for r in records if entity is None or r.entity == entity]
        return sorted(chosen, key=lambda r: (r.entity, r.first_seen, r.key))

    def tables(self) -> list[str]:
        return sorted(self._manifest.tables)

    def table_columns(self, table: str) -> list[str]:
        entry = self._manifest.tables.get(table)
        return [physical for _, physical, _ in entry.columns] if entry else []

    def count(self, table: str, *, include_deleted: bool = True) -> int:
        entry = self._manifest.tables.get(table)
        if entry is None:
            raise DestinationError(
                f"No table {table!r} in {self.url}.", hint=f"Tables: {', '.join(self.tables())}."
            )
        sql = f"SELECT COUNT(*) FROM {quote(table)}"
        if not include_deleted:
            sql += f" WHERE {quote(entry.physical[DELETED_AT])} IS NULL"
        return int(self.query(sql).fetchmany(1)[0][0])

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> DuckDBQueryResult:
        bound: Any = dict(params) if isinstance(params, Mapping) else list(params)
        try:
            with self._lock:
                cursor = self._db.cursor()
                cursor.execute(sql, bound)
        except self._duckdb.Error as exc:
            raise DestinationError(
                f"Query failed: {str(exc).splitlines()[0]}.",
                hint=f"Check the SQL; the tables are {', '.join(self.tables()) or 'none yet'}.",
            ) from None
        return DuckDBQueryResult(cursor)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> FilesDestination:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FilesDestination({self.url!r})"


def _as_key(value: Any, width: int) -> tuple[Any, ...]:
    key = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(key) != width:
        raise DestinationError(
            f"Deleted id {value!r} does not match a {width}-column primary key.",
            hint="Pass composite keys as tuples in primary-key order.",
        )
    return key


def _merged_fields(
    saved: list[dict[str, Any]], records: Sequence[FieldRecord], now: str
) -> list[dict[str, Any]]:
    """Upsert field mappings; the column and first_seen are frozen at first sight."""
    by_key = {(f["entity"], f["key"]): f for f in saved}
    for r in records:
        old = by_key.get((r.entity, r.key))
        by_key[(r.entity, r.key)] = {
            **vars(r),
            "column": old["column"] if old else r.column,
            "first_seen": old["first_seen"] if old else (r.first_seen or now),
        }
    return list(by_key.values())
