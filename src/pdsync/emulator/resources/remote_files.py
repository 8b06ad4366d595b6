"""v1 remote files: ``POST /files/remote`` (a new empty Google Drive document linked to a
deal, person or organization) and ``POST /files/remoteLink`` (link an existing one).

Both make an ordinary file record (``remote_location: googledrive``, size 0), so it is
listed by ``/files`` and the item's ``/files`` like an uploaded one.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.oauth import api_domain
from pdsync.emulator.resources.admin_common import choice, int_value, text_value
from pdsync.emulator.resources.common import ApiProblem, Record, body, ok, user_id
from pdsync.emulator.resources.files_api import render_file

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

FILE_TYPES = ("gdoc", "gslides", "gsheet", "gform", "gdraw")
ITEM_KEYS = {"deal": "deal_id", "organization": "org_id", "person": "person_id"}
LOCATIONS = ("googledrive",)


def register(router: Router, store: Store) -> None:
    router.add("POST", "/api/v1/files/remote", _create(store))
    router.add("POST", "/api/v1/files/remoteLink", _link(store))


def _item(store: Store, data: Record) -> tuple[str, int]:
    kind = choice(data, "item_type", tuple(ITEM_KEYS))
    item_id = int_value(data, "item_id")
    item = store.get(kind, item_id, custom=False)
    if item is None or item.get("is_deleted"):
        raise ApiProblem(404, f"The {kind} {item_id} was not found")
    return kind, item["id"]


def _record(store: Store, req: Request, kind: str, item_id: int, name: str, ftype: str,
            remote_id: str) -> Record:  # fmt: skip
    links = dict.fromkeys(("deal_id", "person_id", "org_id", "product_id", "activity_id",
                           "lead_id", "project_id"))  # fmt: skip
    links[ITEM_KEYS[kind]] = item_id
    record = {
        "user_id": user_id(req), **links, "file_name": name, "name": name, "file_type": ftype,
        "description": None, "file_size": 0, "active_flag": True, "inline_flag": False,
        "remote_location": "googledrive", "remote_id": remote_id, "cid": None,
        "s3_bucket": None, "mail_message_id": None, "mail_template_id": None,
    }  # fmt: skip
    return store.create("file", record, user_id(req))


def _create(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        ftype = choice(data, "file_type", FILE_TYPES)
        title = text_value(data, "title")
        assert title is not None
        choice(data, "remote_location", LOCATIONS)
        kind, item_id = _item(store, data)
        # A Drive document id: 44 url-safe characters, here derived from what it was made for.
        seed = f"{store.seed}:{kind}:{item_id}:{title}:{store.now()}".encode()
        remote_id = hashlib.sha256(seed).hexdigest()[:44]
        created = _record(store, req, kind, item_id, title, ftype, remote_id)
        return ok(render_file(store, created, api_domain(req)))

    return handle


def _link(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        remote_id = text_value(data, "remote_id")
        assert remote_id is not None
        choice(data, "remote_location", LOCATIONS)
        kind, item_id = _item(store, data)
        created = _record(store, req, kind, item_id, remote_id, "gdoc", remote_id)
        return ok(render_file(store, created, api_domain(req)))

    return handle
