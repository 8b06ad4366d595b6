"""Legacy Channels API (messaging-app integrations): register a channel, receive a message
into one of its conversations, delete a conversation, delete a channel.

A channel lives until deleted; a received message needs a registered channel, and a
conversation exists once a message arrived in it (deleting an unknown one is a 404).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.input_types import FieldKinds, one_of
from pdsync.emulator.timefmt import iso_ms

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

PROVIDERS = ("facebook", "whatsapp", "other")
STATUSES = ("sent", "delivered", "read", "failed")
CHANNEL_TYPES: FieldKinds = {"name": "str", "provider_channel_id": "str", "avatar_url": "str",
                             "template_support": "bool",
                             "provider_type": one_of(*PROVIDERS)}  # fmt: skip
MESSAGE_TYPES: FieldKinds = {"id": "str", "channel_id": "str", "sender_id": "str",
                             "conversation_id": "str", "message": "str",
                             "status": one_of(*STATUSES), "created_at": "str",
                             "reply_by": "str", "conversation_link": "str",
                             "attachments": "list"}  # fmt: skip
MESSAGE_REQUIRED = ("id", "channel_id", "sender_id", "conversation_id", "message", "status",
                    "created_at")  # fmt: skip
ATTACHMENT_REQUIRED = ("id", "type", "url")


ERROR_CODES = {400: "BAD_REQUEST", 403: "FORBIDDEN", 404: "NOT_FOUND"}


def register(router: Router, store: Store) -> None:
    routes = (("POST", "/api/v1/channels", _add_channel(store)),
              ("DELETE", "/api/v1/channels/{id}", _delete_channel(store)),
              ("POST", "/api/v1/channels/messages/receive", _receive(store)),
              ("DELETE", "/api/v1/channels/{channel-id}/conversations/{conversation-id}",
               _delete_conversation(store)))  # fmt: skip
    for method, template, handler in routes:
        router.add(method, template, _with_code(handler))


def _with_code(handler: Any) -> Any:
    """Channel errors carry ``additional_data.code`` (the Channels API's error schema)."""

    def handle(req: Request) -> Response:
        try:
            answer: Response = handler(req)
        except ApiProblem as problem:
            code = ERROR_CODES.get(problem.status, "ERROR")
            raise ApiProblem(
                problem.status, problem.message, additional_data={"code": code}
            ) from None
        return answer

    return handle


def _channels(store: Store) -> dict[Any, Record]:
    return store.static.setdefault("channel", {})


def _conversations(store: Store) -> dict[Any, Record]:
    """(channel id, conversation id) -> {"messages": [...]}."""
    return store.static.setdefault("channel_conversation", {})


def _add_channel(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = check_body(body(req), CHANNEL_TYPES, ("name", "provider_channel_id"))
        channel = {"id": str(uuid.uuid4()), "avatar_url": None, "template_support": False,
                   "provider_type": "other", "marketplace_client_id": f"emulator-app-{user_id(req)}",
                   "pd_company_id": 1, "pd_user_id": user_id(req),
                   "created_at": iso_ms(store.now()), **data}  # fmt: skip
        with store.lock:
            _channels(store)[channel["id"]] = channel
        return ok(channel)

    return handle


def _delete_channel(store: Store) -> Any:
    def handle(req: Request) -> Response:
        channel_id = req.path_params["id"]
        with store.lock:
            if _channels(store).pop(channel_id, None) is None:
                raise ApiProblem(400, f"Channel '{channel_id}' does not exist")
            for key in [k for k in _conversations(store) if k[0] == channel_id]:
                del _conversations(store)[key]
        return Response.json({"success": True})

    return handle


def _attachments(value: Any) -> list[Record]:
    for item in value or []:
        if not isinstance(item, dict) or any(not isinstance(item.get(k), str) for k in ATTACHMENT_REQUIRED):  # fmt: skip
            raise ApiProblem(400, "Each attachment needs 'id', 'type' and 'url' strings")
    return list(value or [])


def _receive(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = check_body(body(req), MESSAGE_TYPES, MESSAGE_REQUIRED)
        data["attachments"] = _attachments(data.get("attachments"))
        if data["channel_id"] not in _channels(store):
            raise ApiProblem(400, f"Channel '{data['channel_id']}' does not exist: register it with POST /v1/channels")  # fmt: skip
        key = (data["channel_id"], data["conversation_id"])
        with store.lock:
            _conversations(store).setdefault(key, {"messages": []})["messages"].append(data)
        return ok(data)

    return handle


def _delete_conversation(store: Store) -> Any:
    def handle(req: Request) -> Response:
        key = (req.path_params["channel_id"], req.path_params["conversation_id"])
        with store.lock:
            if _conversations(store).pop(key, None) is None:
                raise not_found("Conversation")
        return Response.json({"success": True})

    return handle
