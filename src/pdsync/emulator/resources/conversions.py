"""v2 lead → deal and deal → lead conversions, run asynchronously as Pipedrive runs them.

``POST …/convert/…`` answers a ``conversion_id`` at once and changes nothing yet; the job
advances one step per status poll (``not_started`` → ``running`` → ``completed``): on
completion it creates the target record, moves the source's notes and activities to it,
and marks the source deleted. A deterministic emulator has no background worker, and a
client written against the real API must poll anyway.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import ApiProblem, Record, body, check_body, not_found, ok
from pdsync.emulator.resources.common import user_id as request_user
from pdsync.emulator.resources.entities import DEAL
from pdsync.emulator.resources.history import deal_children
from pdsync.emulator.resources.lists import live

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

STEPS = ("not_started", "running", "completed")


@dataclass
class Conversion:
    id: str
    source: str  # "lead" or "deal"
    source_id: Any
    user_id: int
    stage_id: int | None = None
    pipeline_id: int | None = None
    step: int = 0
    result: dict[str, Any] = field(default_factory=dict)


def conversion_id(seed: int, source: str, source_id: Any, n: int) -> str:
    """The id of the ``n``-th conversion of a record: derived, so runs are reproducible."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pdsync:{seed}:convert:{source}:{source_id}:{n}"))


class Conversions:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.jobs: dict[str, Conversion] = {}

    def new_id(self, source: str, source_id: Any) -> str:
        with self.lock:
            n = sum(
                1 for j in self.jobs.values() if j.source == source and j.source_id == source_id
            )
        return conversion_id(self.store.seed, source, source_id, n)

    def start(self, job: Conversion) -> None:
        with self.lock:
            if any(j.source_id == job.source_id and j.step < 2 for j in self.jobs.values()):
                raise ApiProblem(409, f"A conversion of this {job.source} is already running")
            self.jobs[job.id] = job

    def poll(self, source: str, source_id: Any, conversion_id: str) -> Conversion:
        with self.lock:
            job = self.jobs.get(conversion_id)
            if job is None or job.source != source or str(job.source_id) != str(source_id):
                raise not_found("Conversion")
            if job.step < 2:
                job.step += 1
                if job.step == 2:
                    self._complete(job)
            return job

    def _complete(self, job: Conversion) -> None:
        with self.store.lock:
            if job.source == "lead":
                lead = self.store.get("lead", job.source_id)
                if lead is None or lead.get("is_deleted"):
                    job.result = {"status": "failed"}
                    return
                created = self.store.create("deal", self._deal_from(lead, job), job.user_id)
                self._move_children(
                    ("lead_id", lead["id"]), ("deal_id", created["id"]), job.user_id
                )
                self.store.delete("lead", lead["id"], job.user_id)
                job.result = {"deal_id": created["id"], "lead_id": lead["id"]}
            else:
                deal = self.store.get("deal", job.source_id)
                if deal is None or deal.get("is_deleted"):
                    job.result = {"status": "failed"}
                    return
                made = self.store.create("lead", self._lead_from(deal, job), job.user_id)
                self._move_children(("deal_id", deal["id"]), ("lead_id", made["id"]), job.user_id)
                self.store.delete("deal", deal["id"], job.user_id)
                job.result = {"deal_id": deal["id"], "lead_id": made["id"]}

    def _deal_from(self, lead: Record, job: Conversion) -> Record:
        stage = _stage(self.store, job.stage_id, job.pipeline_id)
        value = lead.get("value") or {}
        custom = {
            f.key: None for f in self.store.fields["deal"] if f.is_custom and not f.is_deleted
        }
        custom.update({k: v for k, v in (lead.get("custom_fields") or {}).items() if k in custom})
        return {**DEAL.defaults, "title": lead["title"], "owner_id": lead["owner_id"],
                "creator_user_id": job.user_id, "value": value.get("amount") or 0,
                "currency": value.get("currency") or "EUR", "person_id": lead.get("person_id"),
                "org_id": lead.get("organization_id"), "pipeline_id": stage["pipeline_id"],
                "stage_id": stage["id"], "stage_change_time": None,
                "expected_close_date": lead.get("expected_close_date"),
                "origin": lead.get("origin") or "API", "custom_fields": custom}  # fmt: skip

    def _lead_from(self, deal: Record, job: Conversion) -> Record:
        custom = {k: v for k, v in (deal.get("custom_fields") or {}).items() if v is not None}
        value = (
            {"amount": deal["value"], "currency": deal["currency"]} if deal.get("value") else None
        )
        return {"id": str(uuid.uuid4()), "title": deal["title"], "owner_id": deal["owner_id"],
                "creator_id": job.user_id, "label_ids": [], "person_id": deal.get("person_id"),
                "organization_id": deal.get("org_id"), "source_name": "Deal", "origin": "API",
                "origin_id": None, "channel": None, "channel_id": None, "is_archived": False,
                "was_seen": True, "value": value,
                "expected_close_date": deal.get("expected_close_date"), "next_activity_id": None,
                "visible_to": str(deal.get("visible_to", 3)), "cc_email": None,
                "source_deal_id": deal["id"], "custom_fields": custom}  # fmt: skip

    def _move_children(self, old: tuple[str, Any], new: tuple[str, Any], user: int) -> None:
        """Notes and activities follow the converted record."""
        for entity in ("note", "activity"):
            if old[0] == "deal_id":
                children = deal_children(self.store, entity, old[1])
            else:
                children = [r for r in self.store.tables[entity].overlay.values()
                            if r.get(old[0]) == old[1] and not self.store.is_deleted(entity, r)]  # fmt: skip
            for child in children:
                self.store.update(entity, child["id"], {old[0]: None, new[0]: new[1]}, user)


def _stage(store: Store, stage_id: int | None, pipeline_id: int | None) -> Record:
    stages = store.tables["stage"].overlay
    if stage_id is not None:
        stage = stages.get(stage_id)
        if stage is None or stage.get("is_deleted"):
            raise ApiProblem(400, "Stage not found")
        if pipeline_id is not None and stage["pipeline_id"] != pipeline_id:
            raise ApiProblem(400, "The stage does not belong to the given pipeline")
        return stage
    wanted = pipeline_id or min(p["id"] for p in store.tables["pipeline"].overlay.values())
    first = sorted((s for s in stages.values() if s["pipeline_id"] == wanted
                    and not s.get("is_deleted")), key=lambda s: s["order_nr"])  # fmt: skip
    if not first:
        raise ApiProblem(400, "Pipeline not found")
    return first[0]


def register(router: Router, store: Store) -> None:
    jobs = Conversions(store)
    router.add("POST", "/api/v2/leads/{id}/convert/deal", _convert_lead(store, jobs))
    router.add("POST", "/api/v2/deals/{id}/convert/lead", _convert_deal(store, jobs))
    router.add(
        "GET", "/api/v2/leads/{id}/convert/status/{conversion_id}", _status(store, jobs, "lead")
    )
    router.add(
        "GET", "/api/v2/deals/{id}/convert/status/{conversion_id}", _status(store, jobs, "deal")
    )


def _convert_lead(store: Store, jobs: Conversions) -> Any:
    def handle(req: Request) -> Response:
        lead = live(store, "lead", req.path_params["id"], "Lead")
        data = check_body(body(req), {"stage_id": "int", "pipeline_id": "int"})
        _stage(store, data.get("stage_id"), data.get("pipeline_id"))  # bad ids fail now, not later
        job = Conversion(jobs.new_id("lead", lead["id"]), "lead", lead["id"], request_user(req),
                         data.get("stage_id"), data.get("pipeline_id"))  # fmt: skip
        jobs.start(job)
        return ok({"conversion_id": job.id})

    return handle


def _convert_deal(store: Store, jobs: Conversions) -> Any:
    def handle(req: Request) -> Response:
        deal = live(store, "deal", req.path_params["id"], "Deal")
        if deal.get("is_archived"):
            raise ApiProblem(403, "Archived deals cannot be converted")
        job = Conversion(jobs.new_id("deal", deal["id"]), "deal", deal["id"], request_user(req))
        jobs.start(job)
        return ok({"conversion_id": job.id})

    return handle


def _status(store: Store, jobs: Conversions, source: str) -> Any:
    def handle(req: Request) -> Response:
        source_id: Any = req.path_params["id"]
        if source == "deal":
            source_id = int(source_id) if source_id.isdigit() else -1
        job = jobs.poll(source, source_id, req.path_params["conversion_id"])
        status = job.result.get("status") or STEPS[job.step]
        data: Record = {"conversion_id": job.id, "status": status}
        data[f"{source}_id"] = job.source_id
        if status == "completed":
            data.update(job.result)
        return ok(data)

    return handle
