"""Reading the files destination through DuckDB: a latest-wins view per table.

Batch files are an append-only change log. The view of a table groups every row of its
files by primary key and takes, column by column, the value from the latest batch
(``_pdsync_seq``) that carried that column — so a batch that did not carry a column (a
custom field deleted in Pipedrive) leaves its value alone, exactly like SQL ``merge``.
Tombstones (``_pdsync_op = 'delete'``) carry only ``_pdsync_deleted_at``; a key that
only ever had tombstones is not a row. Keyless tables are plain unions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path

from pdsync.destinations.files_io import OP, SEQ
from pdsync.destinations.files_manifest import BatchFile, TableEntry
from pdsync.destinations.identifiers import quote
from pdsync.schema import DELETED_AT, LogicalType

__all__ = ["table_sql"]

_DUCK_TYPES: dict[LogicalType, str] = {
    "integer": "BIGINT",
    "real": "DOUBLE",
    "text": "VARCHAR",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "time": "TIME",
    "json": "VARCHAR",
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(path: Path, fmt: str, names: Sequence[str]) -> str:
    where = _literal(str(path))
    if fmt == "parquet":
        return f"read_parquet({where})"
    spec = ", ".join(f"{_literal(n)}: 'VARCHAR'" for n in names)
    if fmt == "csv":
        return (
            f"read_csv({where}, header = true, auto_detect = false, columns = {{{spec}}}, "
            "allow_quoted_nulls = false, quote = '\"', escape = '\"', delim = ',')"
        )
    # Declared columns: DuckDB then skips sampling the file to guess its schema.
    return f"read_json({where}, format = 'newline_delimited', columns = {{{spec}}})"


def _file_select(
    entry: TableEntry, folder: Path, fmt: str, batch: BatchFile, file_columns: dict[str, str]
) -> str:
    carried = set(batch.columns)
    names = [file_columns[c] for c in batch.columns] + [SEQ, OP]  # the file's own columns
    parts = []
    for i, (logical, physical, kind) in enumerate(entry.columns):
        duck = _DUCK_TYPES[kind]
        if logical in carried:
            parts.append(f"TRY_CAST({quote(physical)} AS {duck}) AS {quote(physical)}")
        else:
            parts.append(f"CAST(NULL AS {duck}) AS {quote(physical)}")
        parts.append(f"{'TRUE' if logical in carried else 'FALSE'} AS __c{i}")
    parts.append(f"CAST({SEQ} AS BIGINT) AS {SEQ}")
    parts.append(f"CAST({OP} AS VARCHAR) AS {OP}")
    return f"SELECT {', '.join(parts)} FROM {_reader(folder / batch.name, fmt, names)}"


def _empty_select(entry: TableEntry) -> str:
    parts = [
        f"CAST(NULL AS {_DUCK_TYPES[kind]}) AS {quote(physical)}"
        for _, physical, kind in entry.columns
    ]
    return f"SELECT {', '.join(parts)} WHERE FALSE"


def table_sql(
    entry: TableEntry,
    folder: Path,
    fmt: str,
    files: Sequence[BatchFile],
    only: Collection[str] | None = None,
) -> str:
    """A SELECT giving the table's current rows (deleted ones marked, not dropped).

    ``only`` keeps just those logical columns (plus the key): a key lookup then reads
    two or three columns of each file instead of all of them.
    """
    file_names = entry.physical  # every column a file may hold, before ``only`` narrows
    if only is not None:
        keep = set(only) | set(entry.primary_key)
        entry = replace(entry, columns=tuple(c for c in entry.columns if c[0] in keep))
    if not files:
        return _empty_select(entry)
    log = " UNION ALL ".join(_file_select(entry, folder, fmt, f, file_names) for f in files)
    key = [entry.physical[k] for k in entry.primary_key]
    if not key:
        cols = ", ".join(quote(physical) for _, physical, _ in entry.columns)
        return f"SELECT {cols} FROM ({log}) WHERE {OP} = 'upsert'"
    outputs = []
    for i, (logical, physical, _) in enumerate(entry.columns):
        if physical in key:
            outputs.append(quote(physical))
            continue
        takes = f"__c{i}" if logical == DELETED_AT else f"__c{i} AND {OP} = 'upsert'"
        outputs.append(
            f"max_by(struct_pack(v := {quote(physical)}), CASE WHEN {takes} THEN {SEQ} END).v "
            f"AS {quote(physical)}"
        )
    group = ", ".join(quote(k) for k in key)
    return (
        f"SELECT {', '.join(outputs)} FROM ({log}) GROUP BY {group} HAVING bool_or({OP} = 'upsert')"
    )
