"""Webhooks: ``/v1/webhooks`` (list, create, delete) and delivery of v2 events to them.

The store publishes a :class:`ChangeEvent` after every committed write; each active
webhook whose ``event_action``/``event_object`` match (``*`` matches all) gets a v2
delivery (:mod:`webhook_payload`) on a background thread (:mod:`webhook_delivery`),
with HTTP Basic auth when ``http_auth_user``/``http_auth_password`` are set.
``last_delivery_time`` and ``last_http_status`` follow every attempt. As on Pipedrive,
ten failed first attempts in a row ban a webhook for 30 minutes (events are lost
meanwhile). Version ``"1.0"`` webhooks are refused with a 400: the emulator speaks v2.
Deliveries run on several threads, so their order is not guaranteed (as on Pipedrive);
``config.webhook_faults`` drops, duplicates, reorders or delays some on purpose
(:mod:`webhook_faults`).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from pdsync.emulator.changes import ChangeEvent
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.edge_clock import Clock
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.stats import Stats
from pdsync.emulator.webhook_delivery import Attempt, Deliverer, Outcome
from pdsync.emulator.webhook_faults import DUPLICATE_GAP_S, FaultPlanner, parse_webhook_faults
from pdsync.emulator.webhook_payload import (
    COMPANY_ID,
    EventEnvelope,
    FieldTypes,
    build_payload,
    iso_ms,
)

ACTIONS = ("create", "change", "delete", "*")
OBJECTS = (
    "activity", "deal", "lead", "note", "organization", "person",
    "pipeline", "product", "stage", "user", "*",
)  # fmt: skip
MAX_PER_USER = 40
BAN_AFTER_FAILURES = 10
BAN_SECONDS = 1800.0


def _errors_response(status: int, errors: dict[str, list[str]]) -> Response:
    """The webhooks API's own error shape, plus the usual ``error`` text for clients."""
    first = next(iter(errors.values()))[0]
    return Response.json(
        {
            "status": "error",
            "success": False,
            "errors": errors,
            "error": first,
            "error_info": "Please check developers.pipedrive.com",
        },
        status,
    )


def validate(body: object) -> dict[str, list[str]]:
    """Field errors in a create-webhook body (empty when valid)."""
    if not isinstance(body, dict):
        return {"body": ["must be a JSON object"]}
    errors: dict[str, list[str]] = {}
    url = body.get("subscription_url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        errors["subscription_url"] = ["invalid or non-reachable URL"]
    if body.get("event_action") not in ACTIONS:
        errors["event_action"] = [f"must be one of {', '.join(ACTIONS)}"]
    if body.get("event_object") not in OBJECTS:
        errors["event_object"] = [f"must be one of {', '.join(OBJECTS)}"]
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        errors["name"] = ["is required (a string of at most 255 characters)"]
    user_id = body.get("user_id")
    if user_id is not None and (isinstance(user_id, bool) or not str(user_id).isdigit()):
        errors["user_id"] = ["must be an integer"]
    for key in ("http_auth_user", "http_auth_password"):
        if body.get(key) is not None and not isinstance(body.get(key), str):
            errors[key] = ["must be a string or null"]
    if str(body.get("version", "2.0")) != "2.0":
        errors["version"] = ["the emulator delivers webhooks v2 only; use version 2.0"]
    return errors


class Webhooks:
    """The webhook registry, its routes and its delivery; thread-safe."""

    def __init__(
        self,
        config: EmulatorConfig,
        clock: Clock,
        stats: Stats,
        field_types: FieldTypes,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.stats = stats
        self._field_types = field_types
        self._lock = threading.Lock()
        self._hooks: dict[int, dict[str, Any]] = {}
        self._secrets: dict[int, tuple[str, str] | None] = {}
        self._failures: dict[int, int] = {}
        self._banned_until: dict[int, float] = {}
        self._next_id = 1
        self._sequence = 0
        self._last_event_ms = 0
        self.host = f"{config.company_domain}.pipedrive.com"
        self.faults = FaultPlanner(parse_webhook_faults(config.webhook_faults), config.seed)
        self.deliverer = Deliverer(
            self._prepare,
            self._report,
            tuple(config.webhook_retry_delays),
            config.webhook_timeout,
            transport,
        )

    def register(self, router: Router) -> None:
        router.add("GET", "/api/v1/webhooks", self.list_route)
        router.add("POST", "/api/v1/webhooks", self.create_route)
        router.add("DELETE", "/api/v1/webhooks/{id}", self.delete_route)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every delivery (retries included) is done; False on timeout."""
        return self.deliverer.wait_idle(timeout)

    def close(self) -> None:
        self.deliverer.close()

    # -- routes -----------------------------------------------------------------------
    def list_route(self, request: Request) -> Response:
        with self._lock:
            data = [dict(hook) for hook in self._hooks.values()]
        return Response.json({"status": "ok", "success": True, "data": data})

    def create_route(self, request: Request) -> Response:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return _errors_response(400, {"body": ["is not valid JSON"]})
        errors = validate(body)
        if errors:
            return _errors_response(400, errors)
        caller = int(request.environ.get("emulator.user_id", 1))
        hook = self.create(body, caller)
        if hook is None:
            return _errors_response(422, {"webhooks": ["Webhooks limit reached"]})
        return Response.json({"status": "ok", "success": True, "data": hook}, 201)

    def delete_route(self, request: Request) -> Response:
        raw = request.path_params.get("id", "")
        with self._lock:
            hook = self._hooks.pop(int(raw), None) if raw.isdigit() else None
        if hook is None:
            return _errors_response(404, {"id": ["Webhook not found"]})
        return Response.json({"status": "ok", "success": True})

    # -- registry ---------------------------------------------------------------------
    def create(self, body: Mapping[str, Any], owner_id: int) -> dict[str, Any] | None:
        """Add a webhook from a validated body; None when the owner has 40 already."""
        user, password = body.get("http_auth_user"), body.get("http_auth_password")
        with self._lock:
            if sum(1 for h in self._hooks.values() if h["owner_id"] == owner_id) >= MAX_PER_USER:
                return None
            hook_id, self._next_id = self._next_id, self._next_id + 1
            hook = {
                "id": hook_id,
                "company_id": COMPANY_ID,
                "owner_id": owner_id,
                "user_id": int(body.get("user_id") or owner_id),
                "event_action": body["event_action"],
                "event_object": body["event_object"],
                "subscription_url": body["subscription_url"],
                "version": "2.0",
                "is_active": 1,
                "add_time": iso_ms(self.clock.time()),
                "remove_time": None,
                "type": "general",
                "http_auth_user": user,
                "http_auth_password": "***" if password else None,  # never echoed back
                "remove_reason": None,
                "last_delivery_time": None,
                "last_http_status": None,
                "admin_id": owner_id,
                "name": body["name"],
            }
            self._hooks[hook_id] = hook
            self._secrets[hook_id] = (user or "", password or "") if (user or password) else None
            return dict(hook)

    # -- events -----------------------------------------------------------------------
    def on_change(self, event: ChangeEvent) -> None:
        """Store listener: queue one delivery per matching webhook (never blocks on HTTP)."""
        with self._lock:
            # Distinct, increasing event times (ms), as subscribers order deliveries by them.
            self._last_event_ms = max(round(self.clock.time() * 1000), self._last_event_ms + 1)
            now = self._last_event_ms / 1000
            targets = [h["id"] for h in self._hooks.values() if self._wants(h, event, now)]
            if not targets:
                return
            self._sequence += 1
            correlation = uuid.uuid5(
                uuid.NAMESPACE_URL, f"pdsync-emulator:{self.config.seed}:{self._sequence}"
            )
            sequence = self._sequence
        envelope = EventEnvelope(event, now, str(correlation), sequence)
        for hook_id in targets:
            plan = self.faults.plan(sequence, hook_id)
            if plan.copies == 0:
                self.stats.webhook("fault_dropped")
            elif plan.copies == 2:
                self.stats.webhook("fault_duplicated")
            elif plan.delay > 0:
                self.stats.webhook("fault_held_back")
            for copy in range(plan.copies):
                self.deliverer.submit(
                    Attempt(hook_id, 1, envelope), plan.delay + copy * DUPLICATE_GAP_S
                )

    def _wants(self, hook: Mapping[str, Any], event: ChangeEvent, now: float) -> bool:
        if self._banned_until.get(hook["id"], 0.0) > now:
            self.stats.webhook("dropped_banned")
            return False
        return hook["event_action"] in ("*", event.action) and hook["event_object"] in (
            "*",
            event.entity,
        )

    def _prepare(self, attempt: Attempt) -> tuple[str, bytes, tuple[str, str] | None] | None:
        with self._lock:
            hook = self._hooks.get(attempt.webhook_id)
            if hook is None:
                return None  # deleted since the event: nothing to send
            hook = dict(hook)
            auth = self._secrets.get(attempt.webhook_id)
        payload = build_payload(attempt.context, hook, attempt.number, self.host, self._field_types)
        self.stats.webhook("attempted")
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return hook["subscription_url"], body, auth

    def _report(self, outcome: Outcome, will_retry: bool) -> None:
        hook_id = outcome.attempt.webhook_id
        self.stats.webhook("delivered" if outcome.ok else ("retried" if will_retry else "failed"))
        now = self.clock.time()
        with self._lock:
            hook = self._hooks.get(hook_id)
            if hook is None:
                return
            hook["last_delivery_time"] = iso_ms(now)
            hook["last_http_status"] = outcome.status
            if outcome.ok:
                self._failures[hook_id] = 0
            elif outcome.attempt.number == 1:
                self._failures[hook_id] = self._failures.get(hook_id, 0) + 1
                if self._failures[hook_id] >= BAN_AFTER_FAILURES:
                    self._banned_until[hook_id] = now + BAN_SECONDS
                    self._failures[hook_id] = 0


def field_types_from(store: Any) -> FieldTypes:
    """``entity -> {field_code: field_type}`` from the store's v2 field metadata."""
    fields_v2: Callable[[str], Any] | None = getattr(store, "fields_v2", None)

    def lookup(entity: str) -> Mapping[str, str]:
        if fields_v2 is None:
            return {}
        try:
            fields = fields_v2(entity)
        except (KeyError, ValueError, LookupError):
            return {}  # entities without custom fields (activity, note …)
        return {
            str(f["field_code"]): str(f["field_type"])
            for f in fields or ()
            if isinstance(f, Mapping) and "field_code" in f
        }

    return lookup
