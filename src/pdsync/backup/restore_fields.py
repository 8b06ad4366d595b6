"""Re-create deleted custom fields and their missing options, before the records that use them.

A field is matched by name and type: a custom field of the snapshot that the account no
longer has is created again (with its options, by label); a live field that lost some
of its options gets them back. Records are then written by label, so the new option
ids need no separate map: push turns each label into the account's current id.

Each write is planned into a push :class:`~pdsync.push.journal.Journal` (one per
entity) and marked ``sending`` before it leaves, as push does; a field left
``sending`` by a killed run is looked for by name before it is created again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pdsync.backup.state import Rows
from pdsync.errors import ApiError, AuthError, RateLimitError
from pdsync.push.api import PushClient, data_of
from pdsync.push.journal import Journal
from pdsync.push.plan import PlanItem

# entity field streams restore writes, and their v2 path
FIELD_PATHS = {
    "deal_fields": "dealFields",
    "person_fields": "personFields",
    "organization_fields": "organizationFields",
    "product_fields": "productFields",
}


def _labels(field: Mapping[str, Any]) -> list[str]:
    options = field.get("options") or []
    return [str(o["label"]) for o in options if isinstance(o, dict) and o.get("label")]


def plan_fields(stream: str, snapshot: Rows, live: Rows) -> list[PlanItem]:
    """Creates of deleted custom fields, then additions of missing options."""
    live_by_name = {
        (str(f.get("field_name")), str(f.get("field_type"))): f
        for f in live.values()
        if f.get("is_custom_field")
    }
    items: list[PlanItem] = []
    row = 0
    for field in sorted(snapshot.values(), key=lambda f: str(f.get("field_code"))):
        if not field.get("is_custom_field"):
            continue
        row += 1
        name, kind = str(field.get("field_name")), str(field.get("field_type"))
        current = live_by_name.get((name, kind))
        labels = _labels(field)
        if current is None:
            body: dict[str, Any] = {"field_name": name, "field_type": kind}
            if labels:
                body["options"] = [{"label": label} for label in labels]
            code = field.get("field_code")
            items.append(PlanItem(row, "create", body=body, key=str(code), message=name))
            continue
        missing = [label for label in labels if label not in set(_labels(current))]
        if missing:
            items.append(
                PlanItem(
                    row,
                    "update",
                    current.get("field_code"),
                    body={"options": [{"label": label} for label in missing]},
                    message=f"{name}: add options {', '.join(missing)}",
                    key=str(current.get("field_code")),
                )
            )
    return items


def restore_fields(
    client: PushClient,
    stream: str,
    items: list[PlanItem],
    journal: Journal,
    *,
    dry_run: bool,
    on_item: Callable[[PlanItem], None],
) -> list[PlanItem]:
    """Plan into ``journal`` and (unless a dry run) apply; the items with their outcome."""
    path = FIELD_PATHS[stream]
    journal.bind(object=stream, mode="restore", key="field_name")
    out = []
    for item in items:
        row_hash = hashlib.sha256(json.dumps(item.body, sort_keys=True).encode()).hexdigest()
        previous = journal.previous(item.row)
        if previous is not None and previous.row_hash == row_hash and previous.status == "done":
            journal.keep(item.row, None)
            item.status, item.record_id, item.message = "done", previous.record_id, "done before"
        elif previous is not None and previous.status == "sending" and item.action == "create":
            found = _find_field(client, path, item.body or {})
            journal.save(item, row_hash, None)
            if found is not None:
                journal.mark_done(item.row, found, "created by an earlier run")
                item.status, item.record_id = "done", found
        else:
            journal.save(item, row_hash, None)
        out.append(item)
    journal.commit()
    for item in out:
        if item.status != "done" and not dry_run:
            _apply(client, path, item, journal)
        on_item(item)
    return out


def _apply(client: PushClient, path: str, item: PlanItem, journal: Journal) -> None:
    journal.mark_sending(item.row, 0.0)
    try:
        if item.action == "create":
            created = data_of(client.request("POST", path, version="v2", json=item.body))
            record_id = created.get("field_code") if isinstance(created, dict) else None
        else:
            options = (item.body or {}).get("options")
            client.request("POST", f"{path}/{item.record_id}/options", version="v2", json=options)
            record_id = item.record_id
    except (RateLimitError, AuthError):
        journal.mark_planned(item.row)
        raise
    except ApiError as exc:
        journal.mark_failed(item.row, exc.message)
        item.status, item.message = "failed", exc.message
        return
    journal.mark_done(item.row, record_id)
    item.status, item.record_id = "done", record_id


def _find_field(client: PushClient, path: str, body: Mapping[str, Any]) -> Any:
    fields = data_of(client.request("GET", path, version="v2", params={"limit": 500})) or []
    for field in fields:
        if field.get("field_name") == body.get("field_name") and field.get(
            "field_type"
        ) == body.get("field_type"):
            return field.get("field_code")
    return None


def journal_path(folder: Path, stream: str) -> Path:
    return folder / f"{stream}.journal"
