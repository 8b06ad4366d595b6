"""v1 rendering: ``YYYY-MM-DD HH:MM:SS`` times, nested user/person/org objects, ``active_flag``,
string ``visible_to``, ``label`` strings and flat custom fields with suffixed subfields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.fields import ADDRESS_PARTS, FieldDef
from pdsync.emulator.timefmt import iso_ms, v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
V1_TIME_KEYS = frozenset(
    {"add_time", "update_time", "stage_change_time", "close_time", "won_time", "lost_time",
     "marked_as_done_time", "created", "modified", "last_login", "archive_time"}
)  # fmt: skip


def flat_custom(fields: list[FieldDef], values: dict[str, Any]) -> Record:
    """v2 custom field values → v1 flat keys (``<key>_currency``, ``<key>_until``, address parts)."""
    out: Record = {}
    for f in fields:
        if not f.is_custom or f.is_deleted or f.key not in values:
            continue
        value, key, t = values[f.key], f.key, f.field_type
        if t == "monetary":
            out[key] = value["value"] if value else None
            out[f"{key}_currency"] = value["currency"] if value else None
        elif t in ("daterange", "timerange"):
            out[key] = value["value"] if value else None
            out[f"{key}_until"] = value["until"] if value else None
        elif t == "time":
            out[key] = value["value"] if value else None
        elif t == "address":
            out[key] = value["value"] if value else None
            for part in ADDRESS_PARTS:
                out[f"{key}_{part}"] = value.get(part) if value else None
        elif t == "enum":
            out[key] = str(value) if value is not None else None
        elif t == "set":
            out[key] = ",".join(str(v) for v in value) if value else None
        else:
            out[key] = value
    return out


def flatten_refs(rec: Record) -> Record:
    """Nested user/person/org objects → their ids (merge answers and recents use plain ids)."""
    return {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in rec.items()}


def _times(rec: Record, keys: frozenset[str] = V1_TIME_KEYS) -> Record:
    return {k: (v1_time(v) if k in keys and isinstance(v, float) else v) for k, v in rec.items()}


class V1Renderer:
    """Renders canonical records as v1 objects; needs the store for nested user/person/org."""

    def __init__(self, store: Store, user_id: int = 1) -> None:
        self.store = store
        self.user_id = user_id
        self._seen: dict[tuple[str, Any, bool], Record | None] = {}

    def lookup(self, entity: str, record_id: Any, custom: bool = True) -> Record | None:
        """A related record, generated once per page however often it is referenced.
        ``custom=False`` (nested refs, which show built-in attributes only) skips generating
        its custom field values, most of a record's cost."""
        if not record_id:
            return None
        full = self._seen.get((entity, record_id, True))
        if full is not None or custom:
            key = (entity, record_id, True)
        else:
            key = (entity, record_id, False)
        if key not in self._seen:
            self._seen[key] = self.store.get(entity, record_id, custom=key[2])
        return self._seen[key]

    def user_ref(self, user_id: int | None, pic_as_int: bool = False) -> Record | None:
        """A nested user; deals say ``has_pic`` as a boolean, persons/orgs as 0/1 (as the API)."""
        user = self.lookup("user", user_id, custom=False)
        if user is None:
            return None
        has_pic: bool | int = 0 if pic_as_int else False
        return {"id": user["id"], "name": user["name"], "email": user["email"], "has_pic": has_pic,
                "pic_hash": None, "active_flag": user["active_flag"], "value": user["id"]}  # fmt: skip

    def person_ref(self, person_id: int | None) -> Record | None:
        person = self.lookup("person", person_id, custom=False)
        if person is None:
            return None
        return {"active_flag": not person["is_deleted"], "name": person["name"],
                "email": [{"label": e["label"], "value": e["value"], "primary": e["primary"]} for e in person["emails"]],
                "phone": [{"label": p["label"], "value": p["value"], "primary": p["primary"]} for p in person["phones"]],
                "owner_id": person["owner_id"], "value": person["id"]}  # fmt: skip

    def org_ref(self, org_id: int | None) -> Record | None:
        org = self.lookup("organization", org_id, custom=False)
        if org is None:
            return None
        address = (org.get("address") or {}).get("value")
        return {"name": org["name"], "people_count": 0, "owner_id": org["owner_id"],
                "address": address, "active_flag": not org["is_deleted"], "cc_email": None,
                "value": org["id"]}  # fmt: skip

    def render(self, entity: str, rec: Record) -> Record:
        method = getattr(self, f"_{entity}", None)
        if method is None:
            return _times(rec)
        result: Record = method(rec)
        return result

    def _common(self, entity: str, rec: Record) -> Record:
        out = _times({k: v for k, v in rec.items() if k not in ("custom_fields", "is_deleted")})
        out["active_flag"] = not rec.get("is_deleted", False)
        if "visible_to" in rec:
            out["visible_to"] = str(rec["visible_to"])
        if "custom_fields" in rec:
            out.update(flat_custom(self.store.fields[entity], rec["custom_fields"]))
        return out

    def _deal(self, rec: Record) -> Record:
        out = self._common("deal", rec)
        for key in (
            "owner_id",
            "label_ids",
            "is_archived",
            "archive_time",
            "origin_id",
            "channel_id",
            "acv",
            "arr",
            "mrr",
        ):
            out.pop(key, None)
        out.update(
            user_id=self.user_ref(rec["owner_id"]),
            creator_user_id=self.user_ref(rec["creator_user_id"]),
            person_id=self.person_ref(rec.get("person_id")),
            org_id=self.org_ref(rec.get("org_id")),
            active=rec["status"] == "open" and not rec["is_deleted"],
            deleted=rec["is_deleted"],
            label=",".join(str(i) for i in rec.get("label_ids") or []) or None,
            person_name=(self.lookup("person", rec["person_id"], False) or {}).get("name"),
            org_name=(self.lookup("organization", rec["org_id"], False) or {}).get("name"),
            owner_name=(self.lookup("user", rec["owner_id"], False) or {}).get("name"),
            formatted_value=f"{rec['value'] or 0:,.0f} {rec['currency'] or ''}".strip(),
            weighted_value=rec["value"],
            cc_email=f"acme+deal{rec['id']}@pipedrivemail.com",
        )  # fmt: skip
        return out

    def _person(self, rec: Record) -> Record:
        out = self._common("person", rec)
        for key in ("emails", "phones", "owner_id", "label_ids", "picture_id"):
            out.pop(key, None)
        out.update(
            owner_id=self.user_ref(rec["owner_id"], pic_as_int=True),
            org_id=self.org_ref(rec.get("org_id")),
            email=[{"label": e["label"], "value": e["value"], "primary": e["primary"]} for e in rec["emails"]],
            phone=[{"label": p["label"], "value": p["value"], "primary": p["primary"]} for p in rec["phones"]],
            label=rec["label_ids"][0] if rec.get("label_ids") else None,
            org_name=(self.lookup("organization", rec["org_id"], False) or {}).get("name"),
            owner_name=(self.lookup("user", rec["owner_id"], False) or {}).get("name"),
            picture_id=None,
        )  # fmt: skip
        return out

    def _organization(self, rec: Record) -> Record:
        out = self._common("organization", rec)
        address = rec.get("address") or {}
        out.pop("label_ids", None)
        out.update(
            owner_id=self.user_ref(rec["owner_id"], pic_as_int=True),
            address=address.get("value"),
            owner_name=(self.lookup("user", rec["owner_id"], False) or {}).get("name"),
            label=rec["label_ids"][0] if rec.get("label_ids") else None,
        )
        for part in ADDRESS_PARTS:
            out[f"address_{part}"] = address.get(part)
        return out

    def _product(self, rec: Record) -> Record:
        out = self._common("product", rec)
        out.pop("is_linkable", None)
        out.update(selectable=rec["is_linkable"], owner_id=self.user_ref(rec["owner_id"]))
        out["prices"] = [{**p, "id": n + 1} for n, p in enumerate(rec["prices"])]
        return out

    def _activity(self, rec: Record) -> Record:
        out = self._common("activity", rec)
        for key in ("owner_id", "busy", "creator_user_id", "participants", "priority", "location"):
            out.pop(key, None)
        out.update(
            user_id=rec["owner_id"],
            created_by_user_id=rec["creator_user_id"],
            busy_flag=rec["busy"],
            participants=[{"person_id": p["person_id"], "primary_flag": p["primary"]} for p in rec["participants"]],
            location=None,
            done=rec["done"],
        )  # fmt: skip
        return out

    def _pipeline(self, rec: Record) -> Record:
        out = _times(
            {
                k: v
                for k, v in rec.items()
                if k not in ("is_deleted", "is_selected", "is_deal_probability_enabled")
            }
        )
        out.update(active=not rec["is_deleted"], deal_probability=rec["is_deal_probability_enabled"],
                   selected=rec["is_selected"], url_title=rec["name"].lower())  # fmt: skip
        return out

    def _stage(self, rec: Record) -> Record:
        out = _times(
            {
                k: v
                for k, v in rec.items()
                if k not in ("is_deleted", "is_deal_rot_enabled", "days_to_rotten")
            }
        )
        pipeline = self.lookup("pipeline", rec["pipeline_id"]) or {}
        out.update(active_flag=not rec["is_deleted"], rotten_flag=rec["is_deal_rot_enabled"],
                   rotten_days=rec["days_to_rotten"], pipeline_name=pipeline.get("name"),
                   pipeline_deal_probability=pipeline.get("is_deal_probability_enabled", False))  # fmt: skip
        return out

    def _lead(self, rec: Record) -> Record:
        out = {k: v for k, v in rec.items() if k != "custom_fields"}
        out["add_time"], out["update_time"] = iso_ms(rec["add_time"]), iso_ms(rec["update_time"])
        # Leads reuse deal fields; unset custom fields are omitted from the lead.
        flat = flat_custom(self.store.fields["deal"], rec.get("custom_fields") or {})
        out.update({k: v for k, v in flat.items() if v is not None})
        out.pop("is_deleted", None)
        return out

    def _note(self, rec: Record) -> Record:
        """v1 notes nest the title/name of what they hang on, and their author."""
        out = _times(rec)
        deal = self.lookup("deal", rec.get("deal_id"), False)
        org = self.lookup("organization", rec.get("org_id"), False)
        person = self.lookup("person", rec.get("person_id"), False)
        user = self.lookup("user", rec.get("user_id"), False)
        out.update(
            deal={"title": deal["title"]} if deal else None,
            organization={"name": org["name"]} if org else None,
            person={"name": person["name"]} if person else None,
            user={"email": user["email"], "name": user["name"], "icon_url": user.get("icon_url"),
                  "is_you": user["id"] == self.user_id} if user else None,
            project=None, task=None, task_id=None,
            pinned_to_project_flag=False, pinned_to_task_flag=False,
        )  # fmt: skip
        return out

    def _user(self, rec: Record) -> Record:
        out = _times(rec)
        out["is_you"] = rec["id"] == self.user_id
        return out
