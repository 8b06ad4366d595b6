"""The files destination's manifest: the one document that says what is committed.

``<dir>/_pdsync_manifest.json`` lists, per table, its columns (logical name, physical
name, logical type), its primary key and the batch files that make it up; beside them
the sync state of every stream and the field mappings. A batch is committed when the
new manifest replaces the old one with an atomic rename — batch files not listed in it
(left by a crash between writing a file and committing) are ignored and swept away.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pdsync.errors import StateError
from pdsync.schema import LogicalType

__all__ = ["MANIFEST_NAME", "BatchFile", "Manifest", "TableEntry", "write_atomically"]

MANIFEST_NAME = "_pdsync_manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class BatchFile:
    """One immutable change-log file: rows written by one batch (``seq``) of a table."""

    name: str  # relative to the table's folder
    seq: int
    columns: tuple[str, ...]  # logical names of the columns this batch carried
    rows: int = 0


@dataclass(frozen=True)
class TableEntry:
    name: str
    columns: tuple[tuple[str, str, LogicalType], ...]  # (logical, physical, type), table order
    primary_key: tuple[str, ...]  # logical names
    files: tuple[BatchFile, ...] = ()
    staging: tuple[BatchFile, ...] | None = None  # a full refresh in progress

    @property
    def physical(self) -> dict[str, str]:
        return {logical: physical for logical, physical, _ in self.columns}

    @property
    def types(self) -> dict[str, LogicalType]:
        return {logical: kind for logical, _, kind in self.columns}

    def with_file(self, batch_file: BatchFile, *, staging: bool) -> TableEntry:
        if staging:
            return replace(self, staging=(*(self.staging or ()), batch_file))
        return replace(self, files=(*self.files, batch_file))


@dataclass(frozen=True)
class Manifest:
    format: str
    seq: int = 0  # the last batch sequence number used
    tables: dict[str, TableEntry] = field(default_factory=dict)
    state: dict[str, str] = field(default_factory=dict)  # stream -> StreamState JSON
    fields: list[dict[str, Any]] = field(default_factory=list)
    created_at: str = ""

    def to_json(self) -> str:
        doc = {
            "version": MANIFEST_VERSION,
            "replica": "pdsync",
            "format": self.format,
            "seq": self.seq,
            "created_at": self.created_at,
            "tables": {name: _table_to_dict(t) for name, t in self.tables.items()},
            "state": self.state,
            "fields": self.fields,
        }
        return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("replica") != "pdsync":
                raise KeyError("replica")
            if int(doc["version"]) > MANIFEST_VERSION:
                raise StateError(
                    f"{path} was written by a newer pdsync.",
                    hint="Upgrade pdsync (pip install -U pdsync) to use this replica.",
                )
            tables = {n: _table_from_dict(n, t) for n, t in doc["tables"].items()}
            return cls(
                format=doc["format"],
                seq=int(doc["seq"]),
                tables=tables,
                state=dict(doc.get("state") or {}),
                fields=list(doc.get("fields") or []),
                created_at=doc.get("created_at", ""),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateError(
                f"The manifest {path} is unreadable or damaged ({exc}).",
                hint="Restore it from a backup, or point --target at a new folder.",
            ) from None


def _file_to_dict(f: BatchFile) -> dict[str, Any]:
    return {"name": f.name, "seq": f.seq, "columns": list(f.columns), "rows": f.rows}


def _file_from_dict(d: dict[str, Any]) -> BatchFile:
    return BatchFile(d["name"], int(d["seq"]), tuple(d["columns"]), int(d.get("rows", 0)))


def _table_to_dict(t: TableEntry) -> dict[str, Any]:
    return {
        "columns": [list(c) for c in t.columns],
        "primary_key": list(t.primary_key),
        "files": [_file_to_dict(f) for f in t.files],
        "staging": None if t.staging is None else [_file_to_dict(f) for f in t.staging],
    }


def _table_from_dict(name: str, d: dict[str, Any]) -> TableEntry:
    staging = d.get("staging")
    return TableEntry(
        name=name,
        columns=tuple((c[0], c[1], c[2]) for c in d["columns"]),
        primary_key=tuple(d["primary_key"]),
        files=tuple(_file_from_dict(f) for f in d["files"]),
        staging=None if staging is None else tuple(_file_from_dict(f) for f in staging),
    )


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a part."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
