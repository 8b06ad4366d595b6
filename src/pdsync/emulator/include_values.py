"""``include_fields`` values of v2 entities that are not counters (those are in
:mod:`pdsync.emulator.counters`, next/last activity in :mod:`.activity_links`): activity
attendees, a deal's first won time, the
Smart BCC address, a person's marketing status, and the mail figures.

The emulated account has calendar sync but no mail sync: meetings have attendees
(their owner as organizer, their participants as invitees), mail counts are 0 and
last mail times null. Opt-in values a client wrote (``attendees``) are served only
when asked for, as the API does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.timefmt import v2_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
ATTENDEE_STATUSES = ("accepted", "tentative", "declined", "noreply")
# Stored fields a v2 entity shows only when ``include_fields`` names them.
OPT_IN_STORED: dict[str, frozenset[str]] = {"activity": frozenset({"attendees"})}
_NULL = frozenset({"last_incoming_mail_time", "last_outgoing_mail_time", "source_lead_id",
                   "doi_status"})  # fmt: skip


def include_value(store: Store, entity: str, name: str, rec: Record) -> Any:
    """The value of the opt-in field ``name`` for ``rec`` (a canonical record)."""
    if name == "attendees":
        return attendees(store, rec)
    if name == "first_won_time":
        won = rec.get("won_time")
        return v2_time(won) if isinstance(won, (int, float)) else None
    if name == "smart_bcc_email":
        return f"{store.config.company_domain}+{entity}{rec['id']}@pipedrivemail.com"
    if name == "marketing_status":
        return rec.get("marketing_status") or "no_consent"
    if name in _NULL:
        return None
    # Counts of what the account does not have (mail, related/participant deals).
    return 0 if name.endswith("_count") else rec.get(name)


def attendees(store: Store, rec: Record) -> list[Record]:
    """Written attendees as stored; otherwise a meeting's owner (organizer) and its
    participants, each with a response status drawn from the ids (deterministic)."""
    if "attendees" in rec:
        return list(rec["attendees"] or [])
    if rec.get("type") != "meeting":
        return []
    out: list[Record] = []
    owner = store.get("user", rec.get("owner_id"), custom=False)
    if owner is not None:
        out.append({"email": owner.get("email"), "name": owner.get("name"), "status": "accepted",
                    "is_organizer": True, "person_id": None, "user_id": owner["id"]})  # fmt: skip
    for participant in rec.get("participants") or []:
        person = store.get("person", participant.get("person_id"), custom=False)
        if person is None:
            continue
        emails = person.get("emails") or []
        primary = next((e["value"] for e in emails if e.get("primary")), None)
        status = ATTENDEE_STATUSES[(rec["id"] * 31 + person["id"]) % len(ATTENDEE_STATUSES)]
        out.append({"email": primary, "name": person.get("name"), "status": status,
                    "is_organizer": False, "person_id": person["id"], "user_id": None})  # fmt: skip
    return out
