"""v1 write bodies → the v2 bodies the shared write checks take.

v1 names some fields differently (``user_id`` for a deal's owner, ``busy_flag``,
``selectable``, ``rotten_flag`` …), sends custom fields flat at the top level under their
hash keys, and is lenient about types: a form-encoded body brings every value as text, so
``"1200"``, ``"1"`` and ``"true"`` are read as the number or flag they spell. What comes out
is checked by :func:`pdsync.emulator.resources.common.check_body` with the entity's v2
kinds, exactly as a v2 write, so both versions store the same thing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.resources.common import ApiProblem, Record
from pdsync.emulator.resources.custom import flat_v1_custom_fields
from pdsync.emulator.resources.entities import EntitySpec

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

# v1 name → v2 name, per entity (names not listed are the same in both).
RENAMES: dict[str, dict[str, str]] = {
    "deal": {"user_id": "owner_id", "label": "label_ids"},
    "person": {"email": "emails", "phone": "phones"},
    "organization": {},
    "activity": {"user_id": "owner_id", "busy_flag": "busy"},
    "product": {"selectable": "is_linkable"},
    "pipeline": {"deal_probability": "is_deal_probability_enabled"},
    "stage": {"rotten_flag": "is_deal_rot_enabled", "rotten_days": "days_to_rotten"},
}
_TRUE, _FALSE = ("1", "true"), ("0", "false")


def v2_body(store: Store, spec: EntitySpec, raw: Record) -> Record:
    """The v2 body a v1 body means (unknown keys dropped later by ``check_body``)."""
    renames = RENAMES[spec.entity]
    out: Record = {}
    for key, value in raw.items():
        out[renames.get(key, key)] = value
    if spec.entity in ("person", "organization") and "label" in raw and "label_ids" not in raw:
        label = lenient("int", raw["label"])
        out["label_ids"] = [] if label in (None, "") else [label]
    if spec.entity == "deal" and isinstance(out.get("label_ids"), (int, str)):
        out["label_ids"] = _id_list(out["label_ids"])
    if spec.entity == "person":
        for key in ("emails", "phones"):
            if key in out:
                out[key] = _contacts(out[key])
    if spec.entity == "organization" and isinstance(out.get("address"), str):
        out["address"] = {"value": out["address"]}
    if spec.entity == "activity":
        _activity(out, raw)
    if spec.entity == "product" and isinstance(out.get("prices"), list):
        out["prices"] = [_price(p) for p in out["prices"]]
    for key, value in list(out.items()):
        kind = spec.types.get(key)
        if isinstance(kind, str):
            out[key] = lenient(kind, value)
    if spec.entity in store.fields and spec.entity != "activity":
        flat = flat_v1_custom_fields(store, spec.entity, raw)
        if flat:
            out["custom_fields"] = flat
        else:
            out.pop("custom_fields", None)  # v1 has no nested custom_fields object
    return out


def lenient(kind: str, value: Any) -> Any:
    """v1's text forms of numbers and flags, read as what they spell; others untouched."""
    if isinstance(value, str):
        text = value.strip()
        if kind in ("int", "visible_to") and text.lstrip("-").isdigit():
            return int(text)
        if kind == "num":
            try:
                number = float(text)
            except ValueError:
                return value
            return int(number) if number.is_integer() else number
        if kind in ("bool", "flag") and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        if kind == "ids":
            return _id_list(text)
    if kind in ("bool", "flag") and value in (0, 1) and not isinstance(value, bool):
        return bool(value)
    if kind == "num" and value == "":
        return None
    return value


def _id_list(value: Any) -> Any:
    if isinstance(value, int):
        return [value]
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if all(p.isdigit() for p in parts):
        return [int(p) for p in parts]
    raise ApiProblem(400, "The 'label' field must be a label id or a list of label ids")


def _contacts(value: Any) -> Any:
    """v1 takes an email/phone as a plain string, a list of strings, or of objects."""
    if isinstance(value, str):
        return [{"value": value, "primary": True}] if value else []
    if isinstance(value, list):
        return [{"value": v} if isinstance(v, str) else v for v in value]
    return value


def _price(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    out = {k: lenient("num", v) if k in ("price", "cost", "overhead_cost") else v
           for k, v in item.items()}  # fmt: skip
    if "overhead_cost" in out and "direct_cost" not in out:
        out["direct_cost"] = out.pop("overhead_cost")
    return out


def _activity(out: Record, raw: Record) -> None:
    """v1 activities: location as text, participants with ``primary_flag``, a lone ``person_id``."""
    if isinstance(out.get("location"), str):
        out["location"] = {"value": out["location"]}
    if isinstance(out.get("participants"), list):
        out["participants"] = [
            {"person_id": lenient("int", p.get("person_id")),
             "primary": lenient("bool", p.get("primary_flag", p.get("primary", False)))}
            if isinstance(p, dict) else p
            for p in out["participants"]
        ]  # fmt: skip
    elif raw.get("person_id") not in (None, "") and "participants" not in raw:
        person = lenient("int", raw["person_id"])
        out["participants"] = [{"person_id": person, "primary": True}]
    if "done" in out:
        out["done"] = lenient("bool", out["done"])
