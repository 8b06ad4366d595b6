"""The seeded mailbox: mail threads linked to deals and their contact persons, with messages.

Every second deal has one thread (thread ``t`` belongs to deal ``2t``), between the deal's
owner and its person, with one to four messages; all of it derived from ``(seed, t)``.
Thread edits through the API (links, flags, deletion) live in a small overlay.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from pdsync.emulator.dataset import REFERENCE_TIME, record_rng
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
FOLDERS = ("inbox", "drafts", "sent", "archive")
MESSAGES_PER_THREAD = 8  # message id = thread * 8 + n, n = 1..4
SNIPPETS = ("Thanks for the call today, attaching the proposal.",
            "Could you confirm the number of seats?", "Following up on our last conversation.",
            "The contract is signed, see the attachment.", "Can we move the demo to Thursday?")  # fmt: skip


def folder_of(thread_id: int) -> str:
    """A thread's folder from its id alone, so folder listings need no record generation."""
    roll = (thread_id * 2654435761) % 100
    return "inbox" if roll < 60 else "sent" if roll < 85 else "archive" if roll < 95 else "drafts"


class Mailbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.edits: dict[int, Record] = {}  # thread id -> changed attributes

    @property
    def count(self) -> int:
        return self.store.counts.deal // 2

    # -- threads -------------------------------------------------------------

    def thread(self, thread_id: int) -> Record | None:
        """A live thread, or None (never existed or deleted)."""
        if not 1 <= thread_id <= self.count:
            return None
        with self.lock:
            edits = dict(self.edits.get(thread_id, {}))
        if edits.get("deleted_flag"):
            return None
        return {**self._thread(thread_id), **edits}

    def update(self, thread_id: int, changes: Record) -> Record:
        with self.lock:
            self.edits.setdefault(thread_id, {}).update(changes, update_time=self.store.now())
        found = self.thread(thread_id) if not changes.get("deleted_flag") else {"id": thread_id}
        assert found is not None
        return found

    def folder(self, name: str) -> Iterator[Record]:
        """Live threads of a folder, newest first."""
        with self.lock:
            edited = dict(self.edits)
        for tid in range(self.count, 0, -1):
            edits = edited.get(tid)
            if edits is None:
                if folder_of(tid) == name:
                    yield self._thread(tid)
                continue
            thread = self.thread(tid)
            if thread is not None and name in thread["folders"]:
                yield thread

    def _thread(self, tid: int) -> Record:
        deal = self.store.generator.make("deal", 2 * tid, custom=False)
        messages = self._messages(tid, deal)
        first, last = messages[0], messages[-1]
        sent = [m for m in messages if m["sent_flag"]]
        received = [m for m in messages if not m["sent_flag"]]
        folder = folder_of(tid)
        return {
            "id": tid, "account_id": f"acc-{self.store.seed}-{deal['owner_id']}",
            "user_id": deal["owner_id"], "subject": first["subject"], "snippet": last["snippet"],
            "read_flag": 1, "mail_tracking_status": None, "has_attachments_flag": 0,
            "has_inline_attachments_flag": 0, "has_real_attachments_flag": 0, "deleted_flag": 0,
            "synced_flag": 1, "smart_bcc_flag": 0, "mail_link_tracking_enabled_flag": 0,
            "parties": {"to": first["to"], "from": first["from"]}, "drafts_parties": [],
            "folders": [folder], "version": 1.0,
            "snippet_draft": last["snippet"] if folder == "drafts" else None,
            "snippet_sent": (sent or messages)[-1]["snippet"], "message_count": len(messages),
            "has_draft_flag": int(folder == "drafts"), "has_sent_flag": int(bool(sent)),
            "archived_flag": int(folder == "archive"), "shared_flag": 0,
            "external_deleted_flag": 0, "first_message_to_me_flag": int(not first["sent_flag"]),
            "last_message_timestamp": last["message_time"],
            "first_message_timestamp": first["message_time"],
            "last_message_sent_timestamp": sent[-1]["message_time"] if sent else None,
            "last_message_received_timestamp": (received or messages)[-1]["message_time"],
            "add_time": first["message_time"], "update_time": last["message_time"],
            "deal_id": deal["id"], "deal_status": deal["status"], "lead_id": None,
            "all_messages_sent_flag": int(len(sent) == len(messages)),
        }  # fmt: skip

    # -- messages ------------------------------------------------------------

    def messages(self, thread_id: int) -> list[Record]:
        thread = self.thread(thread_id)
        if thread is None:
            return []
        deal = self.store.generator.make("deal", 2 * thread_id, custom=False)
        return self._messages(thread_id, deal)

    def message(self, message_id: int) -> Record | None:
        tid, n = divmod(message_id, MESSAGES_PER_THREAD)
        return next((m for m in self.messages(tid) if m["id"] == message_id), None) if n else None

    def messages_of(self, entity: str, record_id: int) -> list[Record]:
        """Messages of the threads linked to a deal, or to a person's/organization's deals."""
        threads: set[int] = set()
        if entity == "deal":
            if record_id % 2 == 0 and record_id // 2 <= self.count:
                threads.add(record_id // 2)
        elif entity in ("person", "organization"):
            column = self.store.columns.get("deal").ints[
                "person_id" if entity == "person" else "org_id"
            ]
            even = column[2 : 2 * self.count + 1 : 2]  # deals 2, 4, …: thread t is at t - 1
            start = 0
            while True:
                try:
                    at = even.index(record_id, start)
                except ValueError:
                    break
                threads.add(at + 1)
                start = at + 1
        with self.lock:
            relinked = {tid: e.get("deal_id") for tid, e in self.edits.items() if "deal_id" in e}
        if entity == "deal":
            threads |= {tid for tid, deal_id in relinked.items() if deal_id == record_id}
            threads -= {tid for tid, deal_id in relinked.items() if deal_id != record_id}
        out: list[Record] = []
        for tid in sorted(threads):
            out.extend(self.messages(tid))
        return out

    def _messages(self, tid: int, deal: Record) -> list[Record]:
        rng = record_rng(self.store.seed, "mail-thread", tid)
        person = (
            self.store.get("person", deal.get("person_id"), custom=False)
            if deal.get("person_id")
            else None
        )
        user = self.store.get("user", deal["owner_id"], custom=False) or {}
        them = _party(tid * 10 + 1, person, deal.get("org_id"))
        me = {"id": tid * 10 + 2, "email_address": user.get("email", "owner@example.com"),
              "name": user.get("name", "Owner"), "linked_person_id": None,
              "linked_person_name": None, "mail_message_party_id": tid * 10 + 2,
              "latest_sent": False, "message_time": 0.0, "linked_organization_id": None}  # fmt: skip
        when = min(deal["add_time"] + rng.randint(1, 20) * 86400, REFERENCE_TIME - 14 * 86400)
        subject = f"{deal['title']}"
        out = []
        for n in range(1, rng.randint(1, 4) + 1):
            sent = n % 2 == 0 if folder_of(tid) != "sent" else n % 2 == 1
            sender, receiver = (me, them) if sent else (them, me)
            mid = tid * MESSAGES_PER_THREAD + n
            out.append({
                "id": mid, "from": [dict(sender, message_time=when)],
                "to": [dict(receiver, message_time=when)], "cc": [], "bcc": [],
                "body_url": f"https://mail.pipedrive.example/messages/{mid}/body",
                "account_id": f"acc-{self.store.seed}-{deal['owner_id']}",
                "user_id": deal["owner_id"], "mail_thread_id": tid,
                "subject": subject if n == 1 else f"Re: {subject}",
                "snippet": rng.choice(SNIPPETS), "mail_tracking_status": "opened" if sent else None,
                "mail_link_tracking_enabled_flag": 0, "read_flag": 1, "draft": None,
                "draft_flag": 0, "synced_flag": 1, "deleted_flag": 0, "has_body_flag": 1,
                "sent_flag": int(sent), "sent_from_pipedrive_flag": int(sent), "smart_bcc_flag": 0,
                "message_time": when, "add_time": when, "update_time": when,
                "has_attachments_flag": 0, "has_inline_attachments_flag": 0,
                "has_real_attachments_flag": 0, "deal_id": deal["id"],
            })  # fmt: skip
            when += rng.randint(1, 72) * 3600
        return out


def _party(pid: int, person: Record | None, org_id: int | None) -> Record:
    emails = (person or {}).get("emails") or [{"value": "contact@example.com"}]
    return {"id": pid, "email_address": emails[0]["value"],
            "name": (person or {}).get("name", "Contact"),
            "linked_person_id": (person or {}).get("id"),
            "linked_person_name": (person or {}).get("name"), "mail_message_party_id": pid,
            "latest_sent": False, "message_time": 0.0, "linked_organization_id": org_id}  # fmt: skip


def render_message(store: Store, message: Record, with_body: bool = False) -> Record:
    """A message in v1 shape: times ``YYYY-MM-DD HH:MM:SS``; body only when asked."""
    out = {k: v for k, v in message.items() if k != "deal_id"}
    for key in ("message_time", "add_time", "update_time"):
        out[key] = v1_time(message[key])
    if with_body:
        out["body"] = f"<p>{message['snippet']}</p><p>Best regards</p>"
    return out


def render_thread(thread: Record) -> Record:
    out = dict(thread)
    for key in ("last_message_timestamp", "first_message_timestamp",
                "last_message_sent_timestamp", "last_message_received_timestamp",
                "add_time", "update_time"):  # fmt: skip
        value = thread.get(key)
        out[key] = v1_time(value) if isinstance(value, float) else value
    return out


def install(store: Store) -> Mailbox:
    box = _BOXES.get(store)
    if box is None:
        box = _BOXES[store] = Mailbox(store)
    return box


_BOXES: WeakKeyDictionary[Store, Mailbox] = WeakKeyDictionary()
