"""Turn one input row into field values Pipedrive accepts.

Columns are resolved to fields (``--map`` first, then a system code or alias, then the
catalog's mapping: ``pdsync discover`` column, field name or hash key); each cell is converted by the field's type (see
:mod:`pdsync.push.values`). Relations written as natural keys (organization name,
person email, owner email, pipeline and stage names) are resolved through a
:class:`Lookups` object. The result is a dict of *canonical* values keyed by field
code, which :mod:`pdsync.push.payload` turns into an API body and compares with the
current record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pdsync.catalog.fieldvalues import split_list
from pdsync.push import values as v
from pdsync.push.fields import FieldDef, FieldSet
from pdsync.push.inputs import InputRow
from pdsync.push.objects import ObjectSpec
from pdsync.push.values import DateOrder, RowError

RELATION_TYPES = frozenset(
    {"user", "org", "people", "deal", "lead", "product", "pipeline", "stage", "lead_labels"}
)
# Suffixes of companion columns: `budget_currency` goes with a monetary `budget`.
_COMPANIONS = ("_currency", "_until")
# Columns that steer a push rather than carry a field value.
CONTROL_COLUMNS = frozenset({"id", "merge_with", "merge_with_id"})


class Lookups(Protocol):
    def find(self, kind: str, value: Any, *, pipeline_id: int | None = None) -> Any:
        """The id of the record of ``kind`` that ``value`` names; RowError if none or many."""
        ...


@dataclass(frozen=True)
class ConvertOptions:
    date_order: DateOrder | None = None
    mappings: Mapping[str, str] = field(default_factory=dict)  # column -> field name
    ignore: frozenset[str] = frozenset()  # columns to leave out


@dataclass
class ConvertedRow:
    values: dict[str, Any]  # field code -> canonical value
    raw: dict[str, Any]  # field code -> the cell as written (for matching)
    control: dict[str, Any]  # id / merge_with columns


def is_empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


class RowConverter:
    def __init__(
        self, spec: ObjectSpec, fields: FieldSet, lookups: Lookups, options: ConvertOptions
    ) -> None:
        self.spec = spec
        self.fields = fields
        self.lookups = lookups
        self.options = options

    def convert(self, row: InputRow) -> ConvertedRow:
        """Canonical values of one row; RowError names the first problem found."""
        if "__invalid__" in row.values:
            raise RowError(str(row.values["__invalid__"]))
        if "__extra_cells__" in row.values:
            raise RowError("the row has more cells than the header has columns")
        cells = {k: c for k, c in row.values.items() if k not in self.options.ignore}
        columns = self._resolve_columns(cells)
        out = ConvertedRow({}, {}, {})
        for column, cell in cells.items():
            if column in CONTROL_COLUMNS and column not in self.options.mappings:
                if not is_empty(cell):
                    out.control[column] = cell
                continue
            target = columns.get(column)
            if target is None or is_empty(cell):
                continue  # companion column or empty cell: pdsync never clears a field
            out.raw[target.code] = cell
        self._convert_all(out, cells, columns)
        return out

    def _resolve_columns(self, cells: Mapping[str, Any]) -> dict[str, FieldDef]:
        resolved: dict[str, FieldDef] = {}
        unknown: list[str] = []
        for column in cells:
            if column in CONTROL_COLUMNS and column not in self.options.mappings:
                continue
            if self._is_companion(column, cells):
                continue  # read together with its base column
            name = self.options.mappings.get(column, column)
            try:
                target = self.fields.resolve(name)
            except LookupError as exc:
                raise RowError(str(exc)) from None
            if target is not None:
                resolved[column] = target
            elif not is_empty(cells[column]):
                unknown.append(column)
        if unknown:
            raise RowError(self._unknown_message(unknown))
        return resolved

    def _is_companion(self, column: str, cells: Mapping[str, Any]) -> bool:
        for suffix in _COMPANIONS:
            if column.endswith(suffix):
                base = column[: -len(suffix)]
                if base in cells:
                    return True
        return False

    def _unknown_message(self, columns: list[str]) -> str:
        parts = []
        for column in columns:
            hints = self.fields.suggest(column)
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            parts.append(f"{column!r}{hint}")
        return (
            f"unknown column {', '.join(parts)}: no field of {self.spec.name} has this name; "
            "rename it, map it with --map COLUMN=FIELD, or leave it out with --ignore COLUMN"
        )

    def _convert_all(
        self, out: ConvertedRow, cells: Mapping[str, Any], columns: Mapping[str, FieldDef]
    ) -> None:
        by_code = {f.code: (col, f) for col, f in columns.items()}
        # Pipelines first: a stage name is looked up inside the row's pipeline.
        ordered = sorted(by_code.values(), key=lambda item: item[1].field_type != "pipeline")
        for column, target in ordered:
            if target.code not in out.raw:
                continue
            cell = out.raw[target.code]
            try:
                self._convert_cell(
                    out, target, cell, cells.get(column + "_currency"), cells, column
                )
            except RowError as exc:
                raise RowError(f"column {column!r}: {exc}") from None

    def _convert_cell(
        self,
        out: ConvertedRow,
        target: FieldDef,
        cell: Any,
        currency: Any,
        cells: Mapping[str, Any],
        column: str,
    ) -> None:
        kind = target.field_type
        if kind == "monetary" and not target.is_custom:
            amount, code = v.to_money(cell, currency)
            out.values[target.code] = amount
            if code:
                out.values["currency"] = code
        elif kind == "monetary":
            amount, code = v.to_money(cell, currency)
            out.values[target.code] = _drop_none({"value": amount, "currency": code})
        elif kind == "lead_value":
            # The leads table keeps the value's currency in ``currency`` (sync's column).
            amount, code = v.to_money(
                cell, currency if currency is not None else cells.get("currency")
            )
            out.values[target.code] = _drop_none({"amount": amount, "currency": code})
        elif kind in ("daterange", "timerange"):
            convert: Callable[[Any], str] = self._date if kind == "daterange" else v.to_time
            start, until = v.to_range(cell, cells.get(column + "_until"), convert)
            out.values[target.code] = {"value": start, "until": until}
        elif kind in RELATION_TYPES:
            out.values[target.code] = self._relation(kind, cell, out)
        else:
            out.values[target.code] = self._scalar(target, cell)

    def _date(self, cell: Any) -> str:
        return v.to_date(cell, self.options.date_order)

    def _relation(self, kind: str, cell: Any, out: ConvertedRow) -> Any:
        if kind == "lead_labels":
            return [self.lookups.find("lead_label", part) for part in split_list(cell)]
        pipeline = out.values.get("pipeline_id")
        return self.lookups.find(kind, cell, pipeline_id=pipeline if kind == "stage" else None)

    def _scalar(self, target: FieldDef, cell: Any) -> Any:
        converter = _SCALARS.get(target.field_type)
        if converter is not None:
            return converter(self, target, cell)
        return str(cell).strip() if isinstance(cell, str) else cell


def _drop_none(value: dict[str, Any]) -> dict[str, Any]:
    return {key: item for key, item in value.items() if item is not None}


def _text(_: RowConverter, __: FieldDef, cell: Any) -> Any:
    return str(cell).strip() if not isinstance(cell, str) else cell.strip()


def _json(_: RowConverter, __: FieldDef, cell: Any) -> Any:
    if not isinstance(cell, str):
        return cell
    try:
        return json.loads(cell)
    except json.JSONDecodeError:
        raise RowError(f"{cell!r} is not valid JSON") from None


_SCALARS: dict[str, Callable[[RowConverter, FieldDef, Any], Any]] = {
    "varchar": _text,
    "varchar_auto": _text,
    "varchar_options": _text,
    "text": _text,
    "phone": _text,
    "double": lambda _, __, c: v.number_out(v.to_number(c)),
    "int": lambda _, __, c: v.to_int(c),
    "boolean": lambda _, __, c: v.to_bool(c),
    "date": lambda conv, __, c: conv._date(c),
    "datetime": lambda _, __, c: str(c).strip(),
    "time": lambda conv, f, c: {"value": v.to_time(c)} if f.is_custom else v.to_time(c)[:5],
    "enum": lambda _, f, c: v.to_option(c, f.options, f.name),
    "set": lambda _, f, c: v.to_options(c, f.options, f.name),
    "emails": lambda _, __, c: v.to_emails(c),
    "phones": lambda _, __, c: v.to_phones(c),
    "address": lambda _, __, c: {"value": str(c).strip()},
    "visible_to": lambda _, __, c: v.to_visibility(c),
    "visible_to_text": lambda _, __, c: str(v.to_visibility(c)),
    "status": lambda _, __, c: v.to_status(c),
    "json": _json,
}
