"""Field definitions in the v2 shape (``field_code``…) and the v1 shape (``key``, flags, subfield rows)."""

from __future__ import annotations

from typing import Any

from pdsync.emulator.fields import SUBFIELDS, FieldDef
from pdsync.emulator.timefmt import v1_time, v2_time

Record = dict[str, Any]


def field_v2(f: FieldDef) -> Record:
    subfields = None
    if f.is_custom and f.field_type in SUBFIELDS:
        subfields = [
            {"field_code": f"{f.key}_{code}", "field_name": f"{f.name} - {name}", "field_type": t}
            for code, name, t in SUBFIELDS[f.field_type]
        ]
    options = None
    if f.options is not None:
        options = [
            {"id": o["id"], "label": o["label"], "color": o.get("color"),
             "add_time": v2_time(o.get("add_time")), "update_time": v2_time(o.get("update_time"))}
            for o in f.options
        ]  # fmt: skip
    out: Record = {
        "field_name": f.name,
        "field_code": f.key,
        "field_type": f.field_type,
        "options": options,
        "subfields": subfields,
        "is_custom_field": f.is_custom,
        "is_optional_response_field": False,
    }
    if f.description is not None:
        out["description"] = f.description
    return out


def field_v1(f: FieldDef) -> list[Record]:
    """The field row, then one row per subfield (``is_subfield``, ``parent_id``, ``id_suffix``)."""
    row: Record = {
        "id": f.id,
        "key": f.key,
        "name": f.name,
        "order_nr": f.order_nr,
        "field_type": f.field_type,
        "add_time": v1_time(f.add_time),
        "update_time": v1_time(f.update_time),
        "last_updated_by_user_id": f.user_id,
        "created_by_user_id": f.user_id,
        "active_flag": not f.is_deleted,
        "edit_flag": f.is_custom,
        "index_visible_flag": True,
        "details_visible_flag": True,
        "add_visible_flag": f.extra.get("add_visible_flag", True),
        "important_flag": False,
        "bulk_edit_allowed": True,
        "searchable_flag": f.field_type in ("varchar", "varchar_auto", "text", "phone"),
        "filtering_allowed": True,
        "sortable_flag": True,
        "mandatory_flag": False,
    }
    if f.options is not None:
        row["options"] = [{"id": o["id"], "label": o["label"]} for o in f.options]
    rows = [row]
    if f.is_custom and f.field_type in SUBFIELDS:
        for code, name, t in SUBFIELDS[f.field_type]:
            rows.append(
                {**row, "key": f"{f.key}_{code}", "name": f"{f.name} - {name}", "field_type": t,
                 "is_subfield": True, "parent_id": f.id, "id_suffix": code}
            )  # fmt: skip
    return rows
