"""v1 call logs: the caller's list, add (which logs a done call activity unless one is
given), get, delete, and audio recordings.

Seeded: one call log per ten deals, made by the deal's owner to the deal's person, derived
from its index (hex ids, as the API's string ids). Writes live in a small overlay.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pdsync.emulator.dataset import REFERENCE_TIME, record_rng
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import ApiProblem, Record, body, not_found, ok, user_id
from pdsync.emulator.resources.files_api import multipart_form
from pdsync.emulator.resources.lists import offset_list
from pdsync.emulator.timefmt import iso_ms, parse_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

OUTCOMES = ("connected", "no_answer", "left_message", "left_voicemail", "wrong_number", "busy")
REQUIRED = ("to_phone_number", "outcome", "start_time", "end_time")
NEW_IDS = 1 << 80  # ids of logged calls start here, above every seeded one
DEALS_PER_LOG = 10


class CallLogs:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.overlay: dict[int, Record | None] = {}  # None: deleted
        self.next_id = NEW_IDS

    @property
    def seeded_count(self) -> int:
        return self.store.counts.deal // DEALS_PER_LOG

    def get(self, raw_id: str) -> Record | None:
        try:
            index = int(raw_id, 16)
        except ValueError:
            return None
        with self.lock:
            if index in self.overlay:
                return self.overlay[index]
        return self._seeded(index) if 1 <= index <= self.seeded_count else None

    def of_user(self, uid: int) -> list[Record]:
        """A user's call logs, newest first."""
        seeded = (self._seeded(i) for i in range(1, self.seeded_count + 1)
                  if i not in self.overlay and self._owner(i) == uid)  # fmt: skip
        with self.lock:
            written = [r for r in self.overlay.values() if r is not None and r["user_id"] == uid]
        rows = [r for r in seeded if r is not None] + written
        return sorted(rows, key=lambda r: (r["start_time"], r["id"]), reverse=True)

    def put(self, record: Record) -> None:
        with self.lock:
            self.overlay[int(record["id"], 16)] = record

    def delete(self, raw_id: str) -> None:
        with self.lock:
            self.overlay[int(raw_id, 16)] = None

    def new_id(self) -> str:
        with self.lock:
            self.next_id += 1
            return f"{self.next_id:024x}"

    def _owner(self, i: int) -> int:
        return int(self.store.columns.get("deal").ints["owner_id"][i * DEALS_PER_LOG])

    def _seeded(self, i: int) -> Record | None:
        deal = self.store.generator.make("deal", i * DEALS_PER_LOG, custom=False)
        person = (
            self.store.get("person", deal["person_id"], custom=False) if deal["person_id"] else None
        )
        rng = record_rng(self.store.seed, "call-log", i)
        start = min(deal["add_time"] + rng.randint(1, 30) * 86400, REFERENCE_TIME - 86400)
        outcome = rng.choice(OUTCOMES[:3])
        seconds = rng.randint(60, 1800) if outcome == "connected" else rng.randint(10, 40)
        phones = (person or {}).get("phones") or [{"value": "+372 5000000"}]
        return {"id": f"{i:024x}", "user_id": deal["owner_id"], "activity_id": None,
                "subject": f"Call: {deal['title']}", "duration": str(seconds), "outcome": outcome,
                "from_phone_number": "+372 6000000", "to_phone_number": phones[0]["value"],
                "start_time": start, "end_time": start + seconds, "person_id": deal["person_id"],
                "org_id": deal["org_id"], "deal_id": deal["id"], "lead_id": None,
                "note": "<p>Discussed next steps.</p>" if outcome == "connected" else None,
                "has_recording": outcome == "connected" and rng.random() < 0.3,
                "company_id": self.store.seed}  # fmt: skip


def register(router: Router, store: Store) -> None:
    logs = CallLogs(store)
    router.add("GET", "/api/v1/callLogs", _list(logs))
    router.add("POST", "/api/v1/callLogs", _add(store, logs))
    router.add("GET", "/api/v1/callLogs/{id}", _get(logs))
    router.add("DELETE", "/api/v1/callLogs/{id}", _delete(logs))
    router.add("POST", "/api/v1/callLogs/{id}/recordings", _recording(logs))


def _out(row: Record) -> Record:
    return {**row, "start_time": iso_ms(row["start_time"]), "end_time": iso_ms(row["end_time"])}


def _list(logs: CallLogs) -> Any:
    def handle(req: Request) -> Response:
        return offset_list(req, [_out(r) for r in logs.of_user(user_id(req))], 50, 50)

    return handle


def _found(logs: CallLogs, req: Request) -> Record:
    row = logs.get(req.path_params["id"])
    if row is None:
        raise not_found("Call log")
    return row


def _get(logs: CallLogs) -> Any:
    def handle(req: Request) -> Response:
        return ok(_out(_found(logs, req)))

    return handle


def _delete(logs: CallLogs) -> Any:
    def handle(req: Request) -> Response:
        logs.delete(_found(logs, req)["id"])
        return ok(None)

    return handle


def _recording(logs: CallLogs) -> Any:
    def handle(req: Request) -> Response:
        row = _found(logs, req)
        upload = multipart_form(req).get("file")
        if not isinstance(upload, tuple) or not upload[1]:
            raise ApiProblem(
                400, "The 'file' field is required: the audio file (multipart/form-data)"
            )
        logs.put({**row, "has_recording": True})
        return ok(None)

    return handle


def _time(data: Record, key: str) -> float:
    value = data.get(key)
    try:
        return parse_time(str(value))
    except ValueError:
        raise ApiProblem(
            400, f"The '{key}' field must be a date-time (YYYY-MM-DD HH:MM:SS or RFC 3339)"
        ) from None


def _ref(store: Store, data: Record, key: str, entity: str) -> Any:
    value = data.get(key)
    if value is None:
        return None
    found = store.get(entity, value) if entity == "lead" or isinstance(value, int) else None
    if found is None or found.get("is_deleted") or found.get("active_flag") is False:
        raise ApiProblem(400, f"The '{key}' field must be the id of an existing {entity}")
    return found["id"]


def _add(store: Store, logs: CallLogs) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        missing = [k for k in REQUIRED if data.get(k) in (None, "")]
        if missing:
            raise ApiProblem(400, f"Missing required fields: {', '.join(missing)}")
        if data["outcome"] not in OUTCOMES:
            raise ApiProblem(400, f"The 'outcome' field must be one of: {', '.join(OUTCOMES)}")
        start, end = _time(data, "start_time"), _time(data, "end_time")
        if end < start:
            raise ApiProblem(400, "The 'end_time' must not be before the 'start_time'")
        caller = data.get("user_id", user_id(req))
        if not isinstance(caller, int) or store.get("user", caller) is None:
            raise ApiProblem(400, "The 'user_id' field must be the id of an existing user")
        refs = {k: _ref(store, data, k, e) for k, e in (("person_id", "person"), ("org_id", "organization"),
                                                        ("deal_id", "deal"), ("lead_id", "lead"))}  # fmt: skip
        activity_id = _ref(store, data, "activity_id", "activity")
        subject = str(data.get("subject") or f"Call to {data['to_phone_number']}")
        if activity_id is None:
            activity_id = _log_activity(store, caller, subject, start, end, refs, data.get("note"))
        row = {"id": logs.new_id(), "user_id": caller, "activity_id": activity_id,
               "subject": subject, "duration": str(data.get("duration") or int(end - start)),
               "outcome": data["outcome"], "from_phone_number": data.get("from_phone_number"),
               "to_phone_number": str(data["to_phone_number"]), "start_time": start,
               "end_time": end, **refs, "note": data.get("note"), "has_recording": False,
               "company_id": store.seed}  # fmt: skip
        logs.put(row)
        return ok(_out(row))

    return handle


def _log_activity(store: Store, caller: int, subject: str, start: float, end: float,
                  refs: Record, note: Any) -> int:  # fmt: skip
    """The done call activity Pipedrive logs with a call that names none."""
    from datetime import datetime, timezone

    moment = datetime.fromtimestamp(start, tz=timezone.utc)
    minutes = max(1, round((end - start) / 60))
    activity = {"subject": subject, "type": "call", "owner_id": caller, "creator_user_id": caller,
                "is_deleted": False, "deal_id": refs["deal_id"], "lead_id": refs["lead_id"],
                "person_id": refs["person_id"], "org_id": refs["org_id"], "project_id": None,
                "due_date": moment.date().isoformat(), "due_time": moment.strftime("%H:%M"),
                "duration": f"{minutes // 60:02d}:{minutes % 60:02d}", "busy": False, "done": True,
                "marked_as_done_time": end, "location": None,
                "participants": [{"person_id": refs["person_id"], "primary": True}] if refs["person_id"] else [],
                "public_description": "", "priority": None, "note": note}  # fmt: skip
    created = store.create("activity", activity, caller)
    return int(created["id"])
