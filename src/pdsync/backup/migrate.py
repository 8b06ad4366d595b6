"""Restoring into another account (``pdsync restore SNAPSHOT --connection OTHER``).

Ids mean nothing across accounts, so every record of the snapshot is created in the
target (nothing is matched or reverted by id), and what both accounts share is matched
by what it is called:

- users by email (a user the target does not have is left out: the record gets the
  token's user as owner, and the restore lists it);
- pipelines by name, stages by pipeline and name (an unmatched stage is left out, and
  Pipedrive puts the deal in its pipeline's first stage);
- custom fields by name and type (missing ones are created first, as in any restore).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pdsync.backup.references import IdMap
from pdsync.backup.state import Rows, State

# stream -> {column: reference stream} for what is matched by name, not re-created
SHARED_REFERENCES: dict[str, dict[str, str]] = {
    "organizations": {"owner_id": "users"},
    "persons": {"owner_id": "users"},
    "products": {"owner_id": "users"},
    "deals": {"owner_id": "users", "pipeline_id": "pipelines", "stage_id": "stages"},
    "leads": {"owner_id": "users"},
    "activities": {"owner_id": "users"},
    "notes": {"user_id": "users"},
    "deal_followers": {"user_id": "users"},
    "person_followers": {"user_id": "users"},
    "organization_followers": {"user_id": "users"},
    "product_followers": {"user_id": "users"},
}
UNMATCHED = {
    "users": "no user with this email in the target: their records get the token's user",
    "pipelines": "no pipeline of this name in the target: its deals go to the default one",
    "stages": "no stage of this name in the pipeline: its deals go to the first stage",
}
_FIELD_STREAMS = ("deal_fields", "person_fields", "organization_fields", "product_fields")


def _by(rows: Rows, *names: str) -> dict[tuple[Any, ...], Any]:
    out: dict[tuple[Any, ...], Any] = {}
    for key, row in rows.items():
        label = tuple(str(row.get(n) or "").strip().lower() for n in names)
        if all(label):
            out.setdefault(label, key)
    return out


def shared_maps(snapshot: State, target: State) -> tuple[IdMap, dict[str, set[Any]]]:
    """(old id -> target id, unmatched old ids) for users, pipelines and stages."""
    ids: IdMap = {}
    unmatched: dict[str, set[Any]] = {}
    users = _by(target.get("users", {}), "email")
    pipelines = _by(target.get("pipelines", {}), "name")
    for stream, match in (
        ("users", lambda row: users.get(_key(row, "email"))),
        ("pipelines", lambda row: pipelines.get(_key(row, "name"))),
    ):
        found, missing = _match(snapshot.get(stream, {}), match)
        ids[stream], unmatched[stream] = found, missing
    old_pipeline_names = {
        k: str(r.get("name", "")).strip().lower() for k, r in snapshot.get("pipelines", {}).items()
    }
    stages = _by(
        {
            k: {**r, "pipeline": _pipeline_name(target, r.get("pipeline_id"))}
            for k, r in target.get("stages", {}).items()
        },
        "pipeline",
        "name",
    )
    ids["stages"], unmatched["stages"] = _match(
        snapshot.get("stages", {}),
        lambda row: stages.get(
            (old_pipeline_names.get(row.get("pipeline_id"), ""), _key(row, "name")[0])
        ),
    )
    return ids, unmatched


def _pipeline_name(state: State, pipeline_id: Any) -> str:
    return str(state.get("pipelines", {}).get(pipeline_id, {}).get("name", ""))


def _key(row: Mapping[str, Any], column: str) -> tuple[str, ...]:
    return (str(row.get(column) or "").strip().lower(),)


def _match(rows: Rows, find: Any) -> tuple[dict[Any, Any], set[Any]]:
    found: dict[Any, Any] = {}
    missing: set[Any] = set()
    for key, row in rows.items():
        target = find(row)
        if target is None:
            missing.add(key)
        else:
            found[key] = target
    return found, missing


def field_keys(snapshot: State, target: State) -> IdMap:
    """Custom field code in the snapshot -> the target's field of that name and type."""
    ids: IdMap = {}
    for stream in _FIELD_STREAMS:
        theirs = {
            (str(r.get("field_name")), str(r.get("field_type"))): r.get("field_code")
            for r in target.get(stream, {}).values()
            if r.get("is_custom_field")
        }
        ids[stream] = {
            code: theirs[(str(r.get("field_name")), str(r.get("field_type")))]
            for code, r in snapshot.get(stream, {}).items()
            if r.get("is_custom_field")
            and (str(r.get("field_name")), str(r.get("field_type"))) in theirs
        }
    return ids
