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
)
from pdsync.destinations.batch_encode import encode_batch
from pdsync.destinations.duckdb import DuckDBQueryResult, import_duckdb
from pdsync.destinations.files_folder import folder_name, open_manifest, parse_files_url
from pdsync.destinations.files_io import (
    OP,
    SEQ,
    extension,
    import_pyarrow,
    write_batch_file,
)
from pdsync.destinations.files_keys import KeyIndex, text_keys
from pdsync.destinations.files_manifest import (
    MANIFEST_NAME,
    BatchFile,
    Manifest,
    TableEntry,
    write_atomically,
)
from pdsync.destinations.files_view import table_sql
from pdsync.destinations.files_write import batch_file_columns, merged_fields, tombstone_rows
from pdsync.destinations.identifiers import allocate_physical, check_identifier, quote
from pdsync.destinations.sqlite_ddl import full_columns
from pdsync.destinations.urls import DestinationUrl
from pdsync.errors import DestinationError, SchemaError
from pdsync.schema import DELETED_AT, Column, TableSchema
from pdsync.sync.state import StreamState, SyncState

__all__ = ["FilesDestination"]


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
        self._manifest = open_manifest(self.root, self.format, readonly=readonly)
        self._live_keys: dict[str, KeyIndex] = {}  # table -> keys of its committed files
        self._staged_keys: dict[str, KeyIndex] = {}  # table -> keys of its refresh staging
        self._db = self._duckdb.connect(":memory:")
        # Tables whose view lags the manifest. Views are rebuilt when read, not per batch:
        # DuckDB binds a view on creation, reading every file's footer (O(files) a batch).
        self._stale: set[str] = set(self._manifest.tables)

    @classmethod
    def from_url(cls, url: DestinationUrl, *, readonly: bool = False) -> FilesDestination:
        settings = parse_files_url(url)
        return cls(
            settings.root,
            fmt=settings.fmt,
            readonly=readonly,
            url=url.safe,
            compact_after=settings.compact_after,
        )

    # -- opening -----------------------------------------------------------------------------

    @property
    def _manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    def _refresh_views(self) -> None:
        """Bring every stale table's view up to the committed manifest."""
        for name in sorted(self._stale):
            entry = self._manifest.tables.get(name)
            if entry is not None:
                sql = table_sql(entry, self.root / folder_name(name), self.format, entry.files)
                self._db.execute(f"CREATE OR REPLACE VIEW {quote(name)} AS {sql}")
        self._stale.clear()

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
            self._staged_keys[entry.name] = KeyIndex()
        staging = batch.mode.startswith("replace")
        if staging and entry.staging is None:
            raise DestinationError(
                f"No full refresh of {entry.name!r} is in progress.",
                hint="Start a refresh with a 'replace_begin' batch.",
            )
        names, columns = encode_batch(batch, dedupe=batch.mode != "append")
        key_cols = [columns[names.index(k)] for k in batch.schema.primary_key]
        keys = text_keys(zip(*key_cols, strict=True)) if key_cols and batch.rows else []
        index = self._key_index(entry, staging=staging)
        existing = sum(1 for k in keys if k in index)
        if batch.mode == "append" and (existing or len(set(keys)) < len(keys)):
            raise DestinationError(
                f"Append to {entry.name!r} would duplicate primary keys.",
                hint="A row broke a table constraint (a duplicate key in append mode); nothing of the batch was written.",
            )
        marks = columns[names.index(DELETED_AT)] if batch.rows else []
        tombstones, gone = tombstone_rows(batch, entry, index, keys, marks)
        seq = self._manifest.seq + 1
        shape, out = batch_file_columns(
            entry, names, columns if batch.rows else None, tombstones, seq
        )
        live = self._key_index(entry, staging=False) if batch.mode == "replace_commit" else None
        fresh = index.updated(keys, marks, gone)  # the keys once this batch is committed
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
                fields=merged_fields(self._manifest.fields, batch.field_mappings, batch.synced_at),
            )
            refresh = self._refresh_counts(entry, fresh, live) if live is not None else None
            self._commit(manifest, [self.root / folder_name(entry.name) / f.name for f in dropped])
        except BaseException:
            if written is not None:
                (self.root / folder_name(entry.name) / written.name).unlink(missing_ok=True)
            raise
        if refresh is not None:
            self._live_keys[entry.name] = fresh
            self._staged_keys.pop(entry.name, None)
        else:
            (self._staged_keys if staging else self._live_keys)[entry.name] = fresh
        if len(entry.files) >= self.compact_after:
            self.compact(entry.name)
        if refresh is not None:
            return BatchResult(batch.stream, *refresh)
        if staging:  # staged rows change nothing live until replace_commit
            return BatchResult(batch.stream)
        if not entry.primary_key:
            return BatchResult(batch.stream, inserted=len(out[-1]))
        distinct = len(set(keys))
        return BatchResult(batch.stream, distinct - existing, existing, len(tombstones))

    def _key_index(self, entry: TableEntry, *, staging: bool) -> KeyIndex:
        """The keys of the table's live (or staged) files: read once, then kept current."""
        cache = self._staged_keys if staging else self._live_keys
        index = cache.get(entry.name)
        if index is None:
            files = (entry.staging or ()) if staging else entry.files
            folder = self.root / folder_name(entry.name)
            index = KeyIndex.read(self._db, entry, folder, self.format, files)
            cache[entry.name] = index
        return index

    def _refresh_counts(
        self, entry: TableEntry, staged: KeyIndex, live: KeyIndex
    ) -> tuple[int, int, int]:
        """(inserted, updated, removed) of the swap, against the live table before it."""
        if entry.primary_key:
            return staged.compare(live)
        # Keyless: every staged row is new and every live row goes.
        alive = self.count(entry.name, include_deleted=False) if entry.name in self.tables() else 0
        return sum(f.rows for f in entry.files), 0, alive

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
        self._stale.update(changed)
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
                self._refresh_views()
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
                self._refresh_views()
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
