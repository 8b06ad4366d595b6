"""History of deals, persons and organizations: v1 ``flow`` and ``changelog``, deal
``participantsChangelog``, v2 ``followers/changelog`` and ``/users/{id}/followers``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pdsync.emulator import changelog, mailbox
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import ApiProblem, Record, user_id
from pdsync.emulator.resources.lists import cursor_page, live, offset_slice
from pdsync.emulator.timefmt import v1_time, v2_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

HISTORIED = {"deals": "deal", "persons": "person", "organizations": "organization"}
FOLLOWED = {**HISTORIED, "products": "product"}
CHANGE_OBJECT = {"deal": "dealChange", "person": "personChange",
                 "organization": "organizationChange"}  # fmt: skip
# ``items`` filter values of the flow, and the object types each selects.
ITEM_OBJECTS = {"change": {"dealChange", "personChange", "organizationChange"},
                "dealChange": {"dealChange"}, "personChange": {"personChange"},
                "organizationChange": {"organizationChange"}, "activity": {"activity"},
                "plannedActivity": {"plannedActivity"}, "call": {"activity"}, "note": {"note"},
                "mailMessage": {"mailMessage"}, "mailMessageWithAttachment": {"mailMessage"}}  # fmt: skip
FLOW_ITEMS = ("call, activity, plannedActivity, change, note, deal, file, dealChange, personChange, "
              "organizationChange, follower, dealFollower, personFollower, organizationFollower, "
              "participant, comment, mailMessage, mailMessageWithAttachment, invoice, document, "
              "marketing_campaign_stat, marketing_status_change")  # fmt: skip


def register(router: Router, store: Store) -> None:
    log = changelog.install(store)
    for path, entity in HISTORIED.items():
        label = entity.capitalize()
        router.add("GET", f"/api/v1/{path}/{{id}}/flow", _flow(store, log, entity, label))
        router.add("GET", f"/api/v1/{path}/{{id}}/changelog", _changelog(store, log, entity, label))
    router.add("GET", "/api/v1/deals/{id}/participantsChangelog", _participants_log(store, log))
    for path, entity in FOLLOWED.items():
        router.add(
            "GET", f"/api/v2/{path}/{{id}}/followers/changelog", _followers_log(store, log, entity)
        )
    router.add("GET", "/api/v2/users/{id}/followers", _user_followers(store))


def text(value: Any) -> str | None:
    """A changelog value as the API shows it: a string, or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _changelog(store: Store, log: changelog.ChangeLog, entity: str, label: str) -> Any:
    def handle(req: Request) -> Response:
        rec = live(store, entity, req.path_params["id"], label)
        rows = [{"field_key": c["field_key"], "old_value": text(c["old_value"]),
                 "new_value": text(c["new_value"]), "actor_user_id": c["actor_user_id"],
                 "time": v1_time(c["time"]), "change_source": c["change_source"],
                 "change_source_user_agent": c["change_source_user_agent"],
                 "is_bulk_update_flag": c["is_bulk_update_flag"]}
                for c in reversed(log.changes(entity, rec["id"]))]  # fmt: skip
        return cursor_page(req, rows)

    return handle


def _participants_log(store: Store, log: changelog.ChangeLog) -> Any:
    def handle(req: Request) -> Response:
        deal = live(store, "deal", req.path_params["id"], "Deal")
        rows = [{**r, "time": v1_time(r["time"])}
                for r in reversed(log.child_log("participant", "deal", deal["id"]))]  # fmt: skip
        return cursor_page(req, rows)

    return handle


def _followers_log(store: Store, log: changelog.ChangeLog, entity: str) -> Any:
    def handle(req: Request) -> Response:
        rec = live(store, entity, req.path_params["id"], entity.capitalize())
        rows = [{**r, "time": v2_time(r["time"])}
                for r in reversed(log.child_log("follower", entity, rec["id"]))]  # fmt: skip
        return cursor_page(req, rows)

    return handle


def _user_followers(store: Store) -> Any:
    """Users following a user: the account's admins follow every other user (seeded)."""

    def handle(req: Request) -> Response:
        user = live(store, "user", req.path_params["id"], "User")
        admins = [u for u in store.tables["user"].overlay.values()
                  if u.get("role_id") == 1 and u["id"] != user["id"] and u.get("active_flag")]  # fmt: skip
        when = max(user.get("created") or 0.0, *(a.get("created") or 0.0 for a in admins), 0.0)
        rows = [{"user_id": a["id"], "add_time": v2_time(when)} for a in admins]
        return cursor_page(req, rows)

    return handle


# -- flow -----------------------------------------------------------------------


def _flow(store: Store, log: changelog.ChangeLog, entity: str, label: str) -> Any:
    def handle(req: Request) -> Response:
        rec = live(store, entity, req.path_params["id"], label)
        wanted = _wanted_objects(req.arg("items"))
        all_changes = (req.arg("all_changes") or "").lower() in ("1", "true")
        items = _flow_items(store, log, entity, rec, all_changes)
        if wanted is not None:
            items = [i for i in items if i["object"] in wanted]
        items.sort(key=lambda i: (i["timestamp"], i["data"].get("id") or 0), reverse=True)
        page, pagination = offset_slice(req, items)
        renderer = V1Renderer(store, user_id(req))
        for item in page:
            item["timestamp"] = v1_time(item["timestamp"])
        additional = {**{k: v for k, v in pagination.items() if k != "next_start"},
                      "pagination": pagination}  # fmt: skip
        body = {"success": True, "data": page, "additional_data": additional,
                "related_objects": _related(renderer, page)}  # fmt: skip
        return Response.json(body)

    return handle


def _wanted_objects(raw: str | None) -> set[str] | None:
    if not raw:
        return None
    wanted: set[str] = set()
    for name in (n.strip() for n in raw.split(",") if n.strip()):
        if name not in FLOW_ITEMS.split(", "):
            raise ApiProblem(400, f"Parameter 'items' must be a list of: {FLOW_ITEMS}")
        wanted |= ITEM_OBJECTS.get(name, set())
    return wanted


def _flow_items(
    store: Store, log: changelog.ChangeLog, entity: str, rec: Record, all_changes: bool
) -> list[Record]:
    custom = {f.key for f in store.fields.get(entity, []) if f.is_custom}
    stages = store.tables["stage"].overlay
    items = []
    for c in log.changes(entity, rec["id"]):
        if c["field_key"] in custom and not all_changes:
            continue
        extra: Record = {}
        if c["field_key"] == "stage_id":
            extra = {"old_value_formatted": (stages.get(c["old_value"]) or {}).get("name"),
                     "new_value_formatted": (stages.get(c["new_value"]) or {}).get("name")}  # fmt: skip
        data = {"id": c["id"], "item_id": c["item_id"], "user_id": c["actor_user_id"],
                "field_key": c["field_key"], "old_value": c["old_value"],
                "new_value": c["new_value"], "is_bulk_update_flag": c["is_bulk_update_flag"],
                "log_time": v1_time(c["time"]), "change_source": c["change_source"],
                "change_source_user_agent": c["change_source_user_agent"],
                "additional_data": extra}  # fmt: skip
        items.append({"object": CHANGE_OBJECT[entity], "timestamp": c["time"], "data": data})
    renderer = V1Renderer(store)
    if entity == "deal":
        for activity in deal_children(store, "activity", rec["id"]):
            done = bool(activity.get("done"))
            when = activity.get("marked_as_done_time") if done else activity["add_time"]
            items.append({"object": "activity" if done else "plannedActivity",
                          "timestamp": when, "data": renderer.render("activity", activity)})  # fmt: skip
        for note in deal_children(store, "note", rec["id"]):
            items.append({"object": "note", "timestamp": note["add_time"],
                          "data": renderer.render("note", note)})  # fmt: skip
    for message in mailbox.install(store).messages_of(entity, rec["id"]):
        items.append({"object": "mailMessage", "timestamp": message["message_time"],
                      "data": mailbox.render_message(store, message)})  # fmt: skip
    return items


def deal_children(store: Store, entity: str, deal_id: int) -> list[Record]:
    """Live activities or notes of a deal: the generated ones (their ids follow from the
    deal's) and any written through the API."""
    if entity == "activity":
        candidates = {2 * deal_id - 1, 2 * deal_id}
    else:
        candidates = {deal_id // 2} if deal_id % 2 == 0 else set()
        if deal_id == store.counts.deal:  # the last deal also has the notes past the deals
            candidates |= set(range(deal_id // 2, store.counts.note + 1))
    candidates |= set(store.tables[entity].overlay)
    found = []
    for index in sorted(candidates):
        rec = store.get(entity, index, custom=False)
        if rec is None or rec.get("deal_id") != deal_id or store.is_deleted(entity, rec):
            continue
        found.append(rec)
    return found


def _related(renderer: V1Renderer, items: list[Record]) -> Record:
    users: set[int] = set()
    deals: set[int] = set()
    persons: set[int] = set()
    orgs: set[int] = set()
    for item in items:
        data = item["data"]
        users |= {v for v in (data.get("user_id"), data.get("owner_id")) if isinstance(v, int)}
        for key, bucket in (("deal_id", deals), ("person_id", persons), ("org_id", orgs)):
            value = data.get(key)
            value = value.get("value") if isinstance(value, dict) else value
            if isinstance(value, int):
                bucket.add(value)
    related: Record = {"user": {}, "deal": {}, "person": {}, "organization": {}}
    for uid in sorted(users):
        ref = renderer.user_ref(uid, pic_as_int=True)
        if ref is not None:
            related["user"][str(uid)] = {k: v for k, v in ref.items() if k != "value"} | {"id": uid}
    for did in sorted(deals):
        deal = renderer.lookup("deal", did, custom=False)
        if deal is not None:
            related["deal"][str(did)] = {k: deal.get(k) for k in ("id", "title", "status", "value",
                                         "currency", "stage_id", "pipeline_id")}  # fmt: skip
    for pid in sorted(persons):
        ref = renderer.person_ref(pid)
        if ref is not None:
            related["person"][str(pid)] = {k: v for k, v in ref.items() if k != "value"} | {
                "id": pid
            }
    for oid in sorted(orgs):
        ref = renderer.org_ref(oid)
        if ref is not None:
            related["organization"][str(oid)] = {k: v for k, v in ref.items() if k != "value"} | {
                "id": oid
            }
    return related
