"""Comparing two states of an account: per stream, records added, deleted and changed.

Fields are the replica's columns, so custom fields show by name and enum/set fields by
label (their ``_id``/``_ids`` companions are left out: a re-created option has a new id
but the same label). For streams a restore writes back, the compared fields are the
ones it can write (a diff shows what a restore would revert); ids, times and counters
Pipedrive sets itself are not compared. A column present on one side only (a custom
field deleted or added) is reported once for the stream, not once per record.

With an id map (a restore re-created records under new ids) the old side is rewired
first: a restored record is compared with its new self, and references with new ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pdsync.backup.align import SUFFIXES, align
from pdsync.backup.references import IdMap, references, rewire
from pdsync.backup.state import FIELDS_STREAM, Key, Rows, State, key_of
from pdsync.catalog.registry import CATALOG
from pdsync.push.objects import OBJECTS

_NEVER = frozenset({"update_time", "id"})
DERIVED_SUFFIXES = tuple(s for s in SUFFIXES if s not in ("_currency", "_until"))


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class StreamDiff:
    stream: str
    added: list[Key] = field(default_factory=list)
    deleted: list[Key] = field(default_factory=list)
    changed: dict[Key, list[FieldChange]] = field(default_factory=dict)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.deleted or self.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "added": self.added,
            "deleted": self.deleted,
            "changed": [
                {"key": k, "fields": {c.field: {"old": c.old, "new": c.new} for c in cs}}
                for k, cs in self.changed.items()
            ],
            "columns_added": self.columns_added,
            "columns_removed": self.columns_removed,
        }


def writable_columns(stream: str) -> frozenset[str] | None:
    """System columns a restore writes (custom columns are writable too); None: all."""
    spec = OBJECTS.get(stream)
    if spec is None:
        return None
    codes = {f.code for f in spec.system_fields}
    codes |= {alias for f in spec.system_fields for alias in f.aliases}  # organization_id
    if spec.link is not None:
        codes |= {spec.link.parent, spec.link.target}
    return frozenset(codes)


def compared_columns(stream: str, columns: Iterable[str]) -> list[str]:
    """The columns of ``stream`` a diff compares (see the module doc)."""
    present = set(columns)
    spec = CATALOG.get(stream)
    system = {c.name for c in spec.columns} if spec else set()
    writable = writable_columns(stream)
    out = []
    for column in sorted(present):
        if column in _NEVER or column.endswith("_count"):
            continue
        is_custom = column not in system
        if is_custom and _is_option_companion(column, present):
            continue
        if writable is not None and not is_custom and column not in writable:
            continue
        out.append(column)
    return out


def _is_option_companion(column: str, present: set[str]) -> bool:
    """An enum's ``_id``, a set's ``_ids``, an address part, a time's timezone: derived."""
    for suffix in DERIVED_SUFFIXES:
        if column.endswith(suffix) and column[: -len(suffix)] in present:
            return True
    return False


def _columns_of(rows: Rows) -> set[str]:
    columns: set[str] = set()
    for row in rows.values():
        columns.update(row)
        if len(columns) > 0 and len(rows) > 200:
            break  # every row of a table has the same columns; a few suffice
    return columns


def remap(stream: str, rows: Rows, state: State, ids: IdMap) -> Rows:
    """``rows`` as they should read after a restore that re-created ``ids``."""
    refs = references(stream, state)
    own = ids.get(stream, {})
    spec = CATALOG.get(stream)
    pk = spec.primary_key[0] if spec and len(spec.primary_key) == 1 else None
    out: Rows = {}
    for key, row in rows.items():
        moved = rewire(row, refs, ids)
        if pk is not None and moved.get(pk) in own:
            moved[pk] = own[moved[pk]]
        out[key_of(stream, moved) if moved != row else key] = moved
    return out


def diff_stream(stream: str, old: Rows, new: Rows, *, all_old_columns: bool = False) -> StreamDiff:
    """Records added, deleted, changed. ``all_old_columns``: a column missing from ``new``
    (a deleted custom field) counts as emptied in every record (what a restore reverts)."""
    result = StreamDiff(stream)
    old_columns, new_columns = _columns_of(old), _columns_of(new)
    if old and new and not all_old_columns:
        result.columns_added = compared_columns(stream, new_columns - old_columns)
        result.columns_removed = compared_columns(stream, old_columns - new_columns)
    shared = old_columns if all_old_columns else old_columns & new_columns
    columns = compared_columns(stream, shared if old and new else ())
    result.deleted = [k for k in old if k not in new]
    result.added = [k for k in new if k not in old]
    for key, before in old.items():
        after = new.get(key)
        if after is None:
            continue
        changes = [
            FieldChange(c, before.get(c), after.get(c))
            for c in columns
            if not _same(_comparable(c, before.get(c)), _comparable(c, after.get(c)))
        ]
        if changes:
            result.changed[key] = changes
    return result


def _comparable(column: str, value: Any) -> Any:
    """A field definition's options compare by label (ids, colours, times are Pipedrive's),
    a product's prices without the product's own id, which each entry repeats."""
    if column == "options" and isinstance(value, list):
        return [o.get("label") if isinstance(o, dict) else o for o in value]
    if column == "subfields" and isinstance(value, list):  # their codes derive from the field's
        return [s.get("field_name") if isinstance(s, dict) else s for s in value]
    if column == "prices" and isinstance(value, list):
        return [
            {k: v for k, v in p.items() if k != "product_id"} for p in value if isinstance(p, dict)
        ]
    return value


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return (a in (None, "", [], {})) and (b in (None, "", [], {}))


def diff_states(
    old: State, new: State, streams: Sequence[str] = (), ids: IdMap | None = None
) -> list[StreamDiff]:
    new = align(old, new)
    chosen = streams or sorted((set(old) | set(new)) - {FIELDS_STREAM})
    out = []
    for stream in chosen:
        before = old.get(stream, {})
        if ids:
            before = remap(stream, before, old, ids)
        out.append(diff_stream(stream, before, new.get(stream, {})))
    return out


def render(diffs: Sequence[StreamDiff], names: Mapping[str, Mapping[Key, str]]) -> list[str]:
    """Text lines: a summary per stream, then one line per changed field."""
    lines = []
    for d in diffs:
        if d.empty and not (d.columns_added or d.columns_removed):
            continue
        lines.append(
            f"{d.stream}: {len(d.added)} added, {len(d.deleted)} deleted, {len(d.changed)} changed"
        )
        for column in d.columns_removed:
            lines.append(f"  field removed: {column}")
        for column in d.columns_added:
            lines.append(f"  field added: {column}")
        label = names.get(d.stream, {})
        for key in d.deleted:
            lines.append(f"  - #{key} {label.get(key, '')}".rstrip())
        for key in d.added:
            lines.append(f"  + #{key} {label.get(key, '')}".rstrip())
        for key, changes in d.changed.items():
            lines.append(f"  ~ #{key} {label.get(key, '')}".rstrip())
            for c in changes:
                lines.append(f"      {c.field}: {_short(c.old)} → {_short(c.new)}")
    return lines or ["No differences."]


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_names(state: State) -> dict[str, dict[Key, str]]:
    """A readable name per record (title, name, subject), to print beside its id."""
    out: dict[str, dict[Key, str]] = {}
    for stream, rows in state.items():
        names = {}
        for key, row in rows.items():
            for column in ("title", "name", "subject", "field_name"):
                if isinstance(row.get(column), str):
                    names[key] = repr(row[column])
                    break
        out[stream] = names
    return out
