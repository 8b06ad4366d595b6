"""v1 comments on notes. Seeded: every fourth note has a comment by another user, made a
day after the note; writes go to a per-note overlay."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

from pdsync.emulator.dataset import record_rng
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import ApiProblem, Record, body, not_found, ok, user_id
from pdsync.emulator.resources.lists import live, offset_list
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

MAX_CONTENT = 100_000


def seeded_uuid(seed: int, note_id: int) -> str:
    """The id of the seeded comment of a note (every fourth note has one)."""
    rng = record_rng(seed, "note-comment", note_id)
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Comments:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.overlay: dict[int, list[Record]] = {}

    def of(self, note: Record, writable: bool = False) -> list[Record]:
        with self.lock:
            found = self.overlay.get(note["id"])
            if found is None:
                found = self._seeded(note)
                if writable:
                    self.overlay[note["id"]] = found
            return found

    def _seeded(self, note: Record) -> list[Record]:
        nid = note["id"]
        if not isinstance(nid, int) or nid > self.store.counts.note or nid % 4:
            return []
        rng = record_rng(self.store.seed, "note-comment", nid)
        rng.getrandbits(128)  # the comment's id: seeded_uuid
        users = self.store.counts.user
        author = 1 + (note["user_id"] % users)
        when = note["add_time"] + 86400
        return [{"uuid": seeded_uuid(self.store.seed, nid), "active_flag": True,
                 "add_time": when, "update_time": when,
                 "content": rng.choice(("<p>Agreed, let's send the proposal.</p>",
                                        "<p>I can join the next call.</p>")),
                 "object_id": str(nid), "object_type": "note", "user_id": author,
                 "updater_id": author, "company_id": self.store.seed}]  # fmt: skip


def register(router: Router, store: Store) -> None:
    comments = Comments(store)
    base = "/api/v1/notes/{id}/comments"
    router.add("GET", base, _list(store, comments))
    router.add("POST", base, _add(store, comments))
    router.add("GET", base + "/{commentId}", _one(store, comments, "get"))
    router.add("PUT", base + "/{commentId}", _one(store, comments, "update"))
    router.add("DELETE", base + "/{commentId}", _one(store, comments, "delete"))


def _out(row: Record) -> Record:
    return {**row, "add_time": v1_time(row["add_time"]), "update_time": v1_time(row["update_time"])}


def _content(req: Request) -> str:
    content = body(req).get("content")
    if not isinstance(content, str) or not content.strip():
        raise ApiProblem(400, "The 'content' field is required: the comment's text (HTML allowed)")
    if len(content) > MAX_CONTENT:
        raise ApiProblem(400, f"The 'content' field must be at most {MAX_CONTENT} characters")
    return content


def _list(store: Store, comments: Comments) -> Any:
    def handle(req: Request) -> Response:
        note = live(store, "note", req.path_params["id"], "Note")
        return offset_list(req, [_out(c) for c in comments.of(note) if c["active_flag"]])

    return handle


def _add(store: Store, comments: Comments) -> Any:
    def handle(req: Request) -> Response:
        note = live(store, "note", req.path_params["id"], "Note")
        content = _content(req)
        now, author = store.now(), user_id(req)
        row = {"uuid": str(uuid.uuid4()), "active_flag": True, "add_time": now, "update_time": now,
               "content": content, "object_id": str(note["id"]), "object_type": "note",
               "user_id": author, "updater_id": author, "company_id": store.seed}  # fmt: skip
        with store.lock:
            comments.of(note, writable=True).append(row)
        return ok(_out(row))

    return handle


def _one(store: Store, comments: Comments, action: str) -> Any:
    def handle(req: Request) -> Response:
        note = live(store, "note", req.path_params["id"], "Note")
        content = _content(req) if action == "update" else None
        wanted = req.path_params["commentId"]
        with store.lock:
            rows = comments.of(note, writable=action != "get")
            row = next((c for c in rows if c["uuid"] == wanted and c["active_flag"]), None)
            if row is None:
                raise not_found("Comment")
            if action == "delete":
                rows.remove(row)
                return ok(True)
            if action == "update":
                row.update(content=content, update_time=store.now(), updater_id=user_id(req))
        return ok(_out(row))

    return handle
