"""Derive a generated record from ``(seed, entity, id)`` and the compact columns.

Records are canonical: v2 field names and value formats, times as epoch floats
(renderers format them). Leads and notes, which only exist in v1, use v1 names.
Attributes that lists filter on come from the columns, so a derived record always
agrees with the filters.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from pdsync.emulator.dataset import DEAL_STATUSES, REFERENCE_TIME, ColumnBuilder, Counts, record_rng
from pdsync.emulator.fields import FieldDef
from pdsync.emulator.values import (
    CURRENCIES,
    TOPICS,
    VALUE_MAKERS,
    address,
    company_name,
    email_for,
    iso_date,
    person_name,
    unset,
)

Record = dict[str, Any]
LEAD_PREFIX = "5eadc0de"
FILE_NAMES = (("proposal", "pdf"), ("contract", "pdf"), ("price-list", "xlsx"),
              ("meeting-notes", "txt"), ("logo", "png"), ("requirements", "docx"))  # fmt: skip


def person_of(counts: Counts, entity: str, i: int) -> int | None:
    """The person of a generated activity or note: a hash of its index, so counters
    (``activities_count`` of a person) come from arithmetic, without generating records."""
    if not counts.person:
        return None
    salt = 40503 if entity == "note" else 65537
    return 1 + (i * 2654435761 + salt) % counts.person


def file_parent(counts: Counts, i: int) -> tuple[str, int | None]:
    """The item a generated file is attached to: deals, persons and organizations in turn."""
    kind = ("deal", "person", "organization")[i % 3]
    n = counts.of(kind)
    return kind, (1 + (i * 7919) % n if n else None)


def firmographics(rng: random.Random, name: str) -> Record:
    """Website, LinkedIn page, industry and size of an organization (own random stream, so
    adding them changed no other generated value)."""
    if rng.random() < 0.25:
        return dict.fromkeys(("website", "linkedin", "industry", "annual_revenue", "employee_count"))  # fmt: skip
    slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum()) or "company"
    employees = int(10 ** rng.uniform(0.5, 4.5))
    return {
        "website": f"https://www.{slug}.example",
        "linkedin": f"https://www.linkedin.com/company/{slug}",
        "industry": rng.randint(1, 30),
        "annual_revenue": employees * rng.randint(50, 250) * 1000,
        "employee_count": employees,
    }


def lead_uuid(seed: int, index: int) -> str:
    """A UUID-shaped lead id whose last 12 hex digits are the record's index."""
    mid = random.Random(f"{seed}:lead-id").getrandbits(64)
    h = f"{mid:016x}"
    return f"{LEAD_PREFIX}-{h[:4]}-4{h[5:8]}-a{h[9:12]}-{index:012x}"


def lead_index(seed: int, lead_id: str) -> int | None:
    try:
        index = int(lead_id[-12:], 16)
    except ValueError:
        return None
    return index if lead_uuid(seed, index) == lead_id else None


class Generator:
    """Builds derived records; ``make(entity, i)`` for i in 1..count."""

    def __init__(
        self,
        seed: int,
        counts: Counts,
        columns: ColumnBuilder,
        fields: dict[str, list[FieldDef]],
    ) -> None:
        self.seed = seed
        self.counts = counts
        self.columns = columns
        self.fields = fields
        self.refs = {"user": counts.user, "org": counts.organization, "people": counts.person}
        # Entities generated elsewhere (projects, tasks), and the project of a deal's activities.
        self.extra_makers: dict[str, Callable[[int, bool], Record]] = {}
        self.project_of_deal: Callable[[int | None], int | None] = lambda _deal: None

    def make(self, entity: str, i: int, custom: bool = True) -> Record:
        """Record ``i``; ``custom=False`` skips the custom field values, which are drawn
        last from the record's stream (so every other value is the same) and are most of
        the cost: for readers of built-in attributes only (child records, counters)."""
        extra = self.extra_makers.get(entity)
        if extra is not None:
            return extra(i, custom)
        rng = record_rng(self.seed, entity, i)
        cols = self.columns.get(entity)
        base: Record = {
            "id": i,
            "add_time": cols.add_time[i],
            "update_time": cols.update_time[i],
            "owner_id": cols.ints["owner_id"][i],
        }
        record: Record = getattr(self, f"_{entity}")(rng, cols, i, base)
        if custom and entity in self.fields and entity != "activity":
            record["custom_fields"] = self.custom_fields(entity, rng, base["add_time"])
        return record

    def custom_fields(self, entity: str, rng: random.Random, when: float) -> dict[str, Any]:
        """Values of the active custom fields. Every generated field draws from the stream
        (deleted ones too) so removing a field never changes another field's values; fields
        created after the generated history are empty on generated records."""
        values: dict[str, Any] = {}
        rand, refs, makers = rng.random, self.refs, VALUE_MAKERS
        for f in self.fields[entity]:
            if not f.is_custom:
                continue
            value = None
            if f.add_time <= REFERENCE_TIME:
                # custom_value inlined: this loop runs ~15,000 times per 500-record page.
                u = rand()
                if u >= 0.33:
                    value = makers.get(f.field_type, unset)(f, rng, refs, (u - 0.33) / 0.67, when)
            if not f.is_deleted:
                values[f.key] = value
        return values

    def _deal(self, rng: random.Random, cols: Any, i: int, rec: Record) -> Record:
        status = DEAL_STATUSES[cols.ints["status"][i]]
        stage_id = cols.ints["stage_id"][i]
        closed = rec["update_time"] if status != "open" else None
        deleted, archived = cols.is_deleted(i), cols.is_archived(i)
        value = round(rng.uniform(500, 80000), -1)
        rec.update(
            title=f"{company_name(rng)} — {rng.choice(TOPICS)}",
            creator_user_id=rec["owner_id"],
            value=value,
            currency=rng.choice(CURRENCIES),
            person_id=cols.ints["person_id"][i] or None,
            org_id=cols.ints["org_id"][i] or None,
            stage_id=stage_id,
            pipeline_id=self.columns.pipeline_of_stage.get(stage_id, 1),
            status=status,
            is_archived=archived,
            archive_time=rec["update_time"] if archived else None,
            is_deleted=deleted,
            probability=None,
            lost_reason=rng.choice(("Price", "Timing", "Went with competitor"))
            if status == "lost"
            else None,
            visible_to=3,
            stage_change_time=rec["add_time"] + (rec["update_time"] - rec["add_time"]) / 2,
            close_time=closed,
            won_time=closed if status == "won" else None,
            lost_time=closed if status == "lost" else None,
            expected_close_date=iso_date(rec["add_time"] + rng.randint(14, 120) * 86400),
            label_ids=sorted(rng.sample(range(1, 6), k=rng.randint(0, 2))),
            origin="ManuallyCreated",
            origin_id=None,
            channel=None,
            channel_id=None,
            acv=None,
            arr=None,
            mrr=None,
        )
        return rec

    def _person(self, rng: random.Random, cols: Any, i: int, rec: Record) -> Record:
        first, last = person_name(rng)
        domain = f"{company_name(rng).split()[0].lower()}.example"
        emails = [{"value": email_for(first, last, domain), "primary": True, "label": "work"}]
        if rng.random() < 0.4:
            emails.append(
                {"value": email_for(first, last, "mail.example"), "primary": False, "label": "home"}
            )
        phones = [
            {"value": f"+372 5{rng.randint(1000000, 9999999)}", "primary": True, "label": "mobile"}
        ]
        if rng.random() < 0.3:
            phones.append(
                {
                    "value": f"+49 30 {rng.randint(100000, 999999)}",
                    "primary": False,
                    "label": "work",
                }
            )
        rec.update(
            name=f"{first} {last}",
            first_name=first,
            last_name=last,
            org_id=cols.ints["org_id"][i] or None,
            emails=emails,
            phones=phones,
            is_deleted=cols.is_deleted(i),
            visible_to=3,
            label_ids=[],
            picture_id=None,
        )
        return rec

    def _organization(self, rng: random.Random, cols: Any, i: int, rec: Record) -> Record:
        name = company_name(rng)
        rec.update(
            name=name,
            address=address(rng),
            is_deleted=cols.is_deleted(i),
            visible_to=3,
            label_ids=[],
            **firmographics(record_rng(self.seed, "organization-profile", i), name),
        )
        return rec

    def _product(self, rng: random.Random, cols: Any, i: int, rec: Record) -> Record:
        price = round(rng.uniform(9, 2000), 2)
        rec.update(
            name=f"{rng.choice(('Basic', 'Pro', 'Enterprise', 'Premium'))} {rng.choice(TOPICS)}",
            code=f"SKU-{i:05d}",
            description="Subscription or service sold by the account.",
            unit=rng.choice(("seat", "hour", "license", "piece")),
            tax=rng.choice((0, 9, 20, 22)),
            category=None,
            is_linkable=True,
            is_deleted=cols.is_deleted(i),
            visible_to=3,
            billing_frequency="one-time",
            billing_frequency_cycles=None,
            prices=[
                {"product_id": i, "price": price, "currency": c, "cost": round(price * 0.4, 2),
                 "direct_cost": 0, "notes": ""}
                for c in CURRENCIES
            ],
        )  # fmt: skip
        return rec

    def _activity(self, rng: random.Random, cols: Any, i: int, rec: Record) -> Record:
        kind = rng.choice(("call", "meeting", "task", "email", "deadline"))
        due = rec["add_time"] + rng.randint(0, 30) * 86400
        done = due < REFERENCE_TIME and rng.random() < 0.8
        deal_id = (i + 1) // 2 if (i + 1) // 2 <= self.counts.deal else None
        person_id = person_of(self.counts, "activity", i)
        rec.update(
            subject=f"{kind.capitalize()}: {rng.choice(TOPICS)}",
            type=kind,
            creator_user_id=rec["owner_id"],
            is_deleted=cols.is_deleted(i),
            deal_id=deal_id,
            lead_id=None,
            person_id=person_id,
            org_id=cols.ints["org_id"][i] or None,
            project_id=self.project_of_deal(deal_id),
            due_date=iso_date(due),
            due_time=f"{rng.randint(7, 16):02d}:{rng.choice((0, 15, 30, 45)):02d}",
            duration="00:30",
            busy=kind == "meeting",
            done=done,
            marked_as_done_time=due if done else None,
            location=None,
            participants=[{"person_id": person_id, "primary": True}] if person_id else [],
            public_description="",
            priority=None,
            note=f"<p>Agenda: {rng.choice(TOPICS).lower()}</p>",
        )
        return rec

    def _note(self, rng: random.Random, cols: Any, i: int, rec: Record) -> Record:
        deal_id = min(i * 2, self.counts.deal) or None
        rec["user_id"] = rec.pop("owner_id")
        rec.update(
            content=f"<p>Spoke with the customer about <b>{rng.choice(TOPICS)}</b>.</p><ul><li>Next step: proposal</li></ul>",
            deal_id=deal_id,
            person_id=person_of(self.counts, "note", i),
            org_id=cols.ints["org_id"][i] or None,
            lead_id=None,
            project_id=None,
            active_flag=not cols.is_deleted(i),
            pinned_to_deal_flag=False,
            pinned_to_person_flag=False,
            pinned_to_organization_flag=False,
            pinned_to_lead_flag=False,
            last_update_user_id=rec["user_id"],
        )
        return rec

    def _file(self, rng: random.Random, cols: Any, i: int, rec: Record) -> Record:
        """File metadata, attached in turn to a deal, a person and an organization."""
        rec["user_id"] = rec.pop("owner_id")
        kind, parent = file_parent(self.counts, i)
        name, ext = rng.choice(FILE_NAMES)
        file_name = f"{name}-{i}.{ext}"
        rec.update(
            deal_id=parent if kind == "deal" else None,
            person_id=parent if kind == "person" else None,
            org_id=parent if kind == "organization" else None,
            product_id=None, activity_id=None, lead_id=None, project_id=None,
            file_name=file_name, name=file_name, file_type=ext, description=None,
            file_size=rng.randint(200, 20_000), active_flag=True, inline_flag=False,
            remote_location="s3", remote_id=f"{self.seed:x}{i:08x}.{ext}", cid=None,
            s3_bucket=None, mail_message_id=None, mail_template_id=None,
        )  # fmt: skip
        return rec

    def _lead(self, rng: random.Random, cols: Any, i: int, rec: Record) -> Record:
        first, last = person_name(rng)
        rec.update(
            id=lead_uuid(self.seed, i),
            title=f"{first} {last} lead",
            creator_id=rec["owner_id"],
            label_ids=[],
            person_id=rng.randint(1, self.counts.person) if self.counts.person else None,
            organization_id=rng.randint(1, self.counts.organization)
            if self.counts.organization
            else None,
            source_name="Manually created",
            origin="ManuallyCreated",
            origin_id=None,
            channel=None,
            channel_id=None,
            is_archived=cols.is_archived(i),
            was_seen=rng.random() < 0.5,
            value={"amount": round(rng.uniform(100, 9000)), "currency": "EUR"}
            if rng.random() < 0.7
            else None,
            expected_close_date=None,
            next_activity_id=None,
            visible_to="3",
            cc_email=f"acme+lead{i}@pipedrivemail.com",
            source_deal_id=None,
            custom_fields=self.custom_fields("deal", rng, rec["add_time"]),
        )
        return rec
