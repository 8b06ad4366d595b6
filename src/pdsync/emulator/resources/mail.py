"""v1 mailbox: threads per folder, a thread and its messages, a message, and the
``mailMessages`` of deals, persons and organizations."""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from pdsync.emulator import mailbox
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import (
    ApiProblem,
    body,
    count_records,
    int_arg,
    limit_arg,
    not_found,
    ok,
)
from pdsync.emulator.resources.lists import live, offset_slice, path_int

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

LINKED = {"deals": "deal", "persons": "person", "organizations": "organization"}
FLAGS = ("shared_flag", "read_flag", "archived_flag")


def register(router: Router, store: Store) -> None:
    box = mailbox.install(store)
    base = "/api/v1/mailbox"
    router.add("GET", f"{base}/mailThreads", _threads(box))
    router.add("GET", f"{base}/mailThreads/{{id}}", _thread(box))
    router.add("PUT", f"{base}/mailThreads/{{id}}", _update_thread(store, box))
    router.add("DELETE", f"{base}/mailThreads/{{id}}", _delete_thread(box))
    router.add("GET", f"{base}/mailThreads/{{id}}/mailMessages", _thread_messages(store, box))
    router.add("GET", f"{base}/mailMessages/{{id}}", _message(store, box))
    for path, entity in LINKED.items():
        router.add("GET", f"/api/v1/{path}/{{id}}/mailMessages", _linked(store, box, entity))


def _include_body(req: Request) -> bool:
    raw = req.arg("include_body")
    if raw in (None, "", "0"):
        return False
    if raw == "1":
        return True
    raise ApiProblem(400, "Parameter 'include_body' must be 0 or 1")


def _threads(box: mailbox.Mailbox) -> Any:
    def handle(req: Request) -> Response:
        folder = req.arg("folder") or "inbox"
        if folder not in mailbox.FOLDERS:
            raise ApiProblem(
                400, f"Parameter 'folder' must be one of: {', '.join(mailbox.FOLDERS)}"
            )
        start = int_arg(req, "start", 0) or 0
        limit = limit_arg(req, 50, 500)
        rows = list(islice(box.folder(folder), start, start + limit + 1))
        more = len(rows) > limit
        data = [mailbox.render_thread(t) for t in rows[:limit]]
        count_records(req, len(data))
        pagination: dict[str, Any] = {"start": start, "limit": limit,
                                      "more_items_in_collection": more}  # fmt: skip
        if more:
            pagination["next_start"] = start + limit
        return ok(data, {"pagination": pagination})

    return handle


def _live_thread(box: mailbox.Mailbox, req: Request) -> dict[str, Any]:
    thread = box.thread(path_int(req, "id", "Mail thread"))
    if thread is None:
        raise not_found("Mail thread")
    return thread


def _thread(box: mailbox.Mailbox) -> Any:
    def handle(req: Request) -> Response:
        return ok(mailbox.render_thread(_live_thread(box, req)))

    return handle


def _update_thread(store: Store, box: mailbox.Mailbox) -> Any:
    def handle(req: Request) -> Response:
        thread = _live_thread(box, req)
        data = body(req)
        changes: dict[str, Any] = {}
        for flag in FLAGS:
            if flag in data:
                if str(data[flag]) not in ("0", "1"):
                    raise ApiProblem(400, f"The '{flag}' field must be 0 or 1")
                changes[flag] = int(data[flag])
        if "archived_flag" in changes:
            folder = "archive" if changes["archived_flag"] else "inbox"
            changes["folders"] = [folder]
        if data.get("deal_id") not in (None, ""):
            deal = (
                store.get("deal", int(data["deal_id"])) if str(data["deal_id"]).isdigit() else None
            )
            if deal is None or deal.get("is_deleted"):
                raise ApiProblem(400, "The 'deal_id' field must be the id of an existing deal")
            changes.update(deal_id=deal["id"], deal_status=deal["status"])
        if data.get("lead_id") not in (None, ""):
            if store.get("lead", str(data["lead_id"])) is None:
                raise ApiProblem(400, "The 'lead_id' field must be the id of an existing lead")
            changes["lead_id"] = str(data["lead_id"])
        return ok(mailbox.render_thread(box.update(thread["id"], changes)))

    return handle


def _delete_thread(box: mailbox.Mailbox) -> Any:
    def handle(req: Request) -> Response:
        thread = _live_thread(box, req)
        box.update(thread["id"], {"deleted_flag": 1})
        return ok({"id": thread["id"]})

    return handle


def _thread_messages(store: Store, box: mailbox.Mailbox) -> Any:
    def handle(req: Request) -> Response:
        thread = _live_thread(box, req)
        rows = [mailbox.render_message(store, m) for m in box.messages(thread["id"])]
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _message(store: Store, box: mailbox.Mailbox) -> Any:
    def handle(req: Request) -> Response:
        message = box.message(path_int(req, "id", "Mail message"))
        if message is None:
            raise not_found("Mail message")
        return ok(mailbox.render_message(store, message, _include_body(req)))

    return handle


def _linked(store: Store, box: mailbox.Mailbox, entity: str) -> Any:
    def handle(req: Request) -> Response:
        rec = live(store, entity, req.path_params["id"], entity.capitalize())
        with_body = _include_body(req)
        messages = sorted(box.messages_of(entity, rec["id"]),
                          key=lambda m: (m["message_time"], m["id"]), reverse=True)  # fmt: skip
        page, pagination = offset_slice(req, messages)
        rows = [{"object": "mailMessage", "timestamp": mailbox.render_message(store, m)["message_time"],
                 "data": mailbox.render_message(store, m, with_body)} for m in page]  # fmt: skip
        additional = {**{k: v for k, v in pagination.items() if k != "next_start"},
                      "pagination": pagination}  # fmt: skip
        return ok(rows, additional)

    return handle
