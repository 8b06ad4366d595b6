"""Small reference tables of an account, built whole at start-up (they stay tiny).

Users, pipelines and stages, lead labels and sources, activity types, currencies,
filters, roles, permission sets, goals, and per-user settings and connections. Records
use epoch floats for times; the renderers format them. Keys starting with ``_`` are
the emulator's own bookkeeping (a role's visibility settings, a goal's deletion) and
are never rendered.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from pdsync.emulator.dataset import START_TIME, Counts
from pdsync.emulator.values import FIRST, LAST, email_for

Record = dict[str, Any]

PIPELINE_NAMES = ("Sales", "Partnerships", "Renewals", "Enterprise")
STAGE_NAMES = (
    "Lead in", "Contact made", "Demo scheduled", "Proposal made", "Negotiation",
    "Contract sent", "Verbal yes",
)  # fmt: skip
ACTIVITY_TYPES = (
    ("call", "Call", "call"), ("meeting", "Meeting", "meeting"), ("task", "Task", "task"),
    ("deadline", "Deadline", "deadline"), ("email", "Email", "email"), ("lunch", "Lunch", "lunch"),
)  # fmt: skip
CURRENCY_TABLE = (
    ("EUR", "Euro", "€", 2), ("USD", "US Dollar", "$", 2), ("GBP", "Pound Sterling", "£", 2),
    ("JPY", "Japanese Yen", "¥", 0), ("SEK", "Swedish Krona", "kr", 2), ("BRL", "Brazilian Real", "R$", 2),
)  # fmt: skip
LEAD_LABELS = (("Hot", "red"), ("Warm", "yellow"), ("Cold", "blue"), ("Partner", "purple"))
FILTER_TYPES = ("deals", "leads", "org", "people", "products", "activity")
# The entity whose fields a filter of each type uses (leads reuse deal fields).
FILTER_OBJECTS = {"deals": "deal", "leads": "lead", "org": "organization", "people": "person",
                  "products": "product", "activity": "activity", "projects": "project"}  # fmt: skip
# (name, app, admin): a user holds one set per app they can use.
PERMISSION_SETS = (
    ("Global admin", "global", True), ("Deals regular user", "sales", False),
    ("Global regular user", "global", False), ("Deals admin", "sales", True),
)  # fmt: skip
# Visibility defaults of a new role (1 owner only … 7 entire company) and its access levels.
ROLE_SETTINGS = {
    "deal_default_visibility": 7, "lead_default_visibility": 7, "org_default_visibility": 7,
    "person_default_visibility": 7, "product_default_visibility": 7, "deal_access_level": 7,
    "org_access_level": 7, "person_access_level": 7, "product_access_level": 7,
}  # fmt: skip
# What a permission set can grant (``GET /users/{id}/permissions``); admin sets grant all.
PERMISSIONS = (
    "can_add_custom_fields", "can_add_products", "can_add_prospects_as_leads",
    "can_bulk_edit_items", "can_change_visibility_of_items", "can_convert_deals_to_leads",
    "can_create_own_workflow", "can_delete_activities", "can_delete_custom_fields",
    "can_delete_deals", "can_edit_custom_fields", "can_edit_deals_closed_date",
    "can_edit_products", "can_edit_shared_filters", "can_export_data_from_lists",
    "can_follow_other_users", "can_merge_deals", "can_merge_organizations", "can_merge_people",
    "can_modify_labels", "can_see_company_wide_statistics", "can_see_deals_list_summary",
    "can_see_hidden_items_names", "can_see_other_users", "can_see_other_users_statistics",
    "can_see_security_dashboard", "can_share_filters", "can_share_insights", "can_use_api",
    "can_use_email_tracking", "can_use_import",
)  # fmt: skip
REGULAR_PERMISSIONS = {
    "sales": ("can_add_products", "can_add_prospects_as_leads", "can_convert_deals_to_leads",
              "can_delete_activities", "can_delete_deals", "can_edit_products",
              "can_merge_deals", "can_merge_people", "can_modify_labels",
              "can_see_deals_list_summary", "can_use_email_tracking"),
    "global": ("can_see_other_users", "can_follow_other_users", "can_share_filters",
               "can_use_api", "can_export_data_from_lists"),
}  # fmt: skip
COMPANY_ADDONS = ("leadbooster_v2", "smart_docs_v2", "campaigns_v2")


def stable_uuid(seed: int, kind: str, n: int) -> str:
    return str(uuid.UUID(int=random.Random(f"{seed}:{kind}:{n}").getrandbits(128), version=4))


def build_static(seed: int, counts: Counts) -> dict[str, dict[Any, Record]]:
    rng = random.Random(f"{seed}:static")
    tables: dict[str, dict[Any, Record]] = {}
    tables["permission_set"] = _permission_sets(seed)
    sets = list(tables["permission_set"])
    tables["role"] = {
        1: new_role(1, "Management", None),
        2: new_role(2, "Sales team", 1),
    }
    tables["user"] = {i: _user(rng, i, sets) for i in range(1, counts.user + 1)}
    tables["pipeline"], tables["stage"] = _pipelines(rng)
    tables["activity_type"] = {
        i: {
            "id": i, "order_nr": i, "name": name, "key_string": key, "icon_key": icon,
            "active_flag": True, "color": None, "is_custom_flag": False,
            "add_time": START_TIME, "update_time": START_TIME,
        }
        for i, (key, name, icon) in enumerate(ACTIVITY_TYPES, start=1)
    }  # fmt: skip
    tables["currency"] = {
        i: {
            "id": i, "code": code, "name": name, "symbol": symbol, "decimal_points": points,
            "active_flag": True, "is_custom_flag": False,
        }
        for i, (code, name, symbol, points) in enumerate(CURRENCY_TABLE, start=1)
    }  # fmt: skip
    tables["lead_label"] = {
        stable_uuid(seed, "label", i): {
            "id": stable_uuid(seed, "label", i), "name": name, "color": color,
            "add_time": START_TIME, "update_time": START_TIME,
        }
        for i, (name, color) in enumerate(LEAD_LABELS)
    }  # fmt: skip
    tables["lead_source"] = {
        n: {"name": n} for n in ("API", "Web forms", "Prospector", "Manually created")
    }
    tables["filter"] = {
        i: {
            "id": i, "name": f"My {kind} this year", "type": kind, "active_flag": True,
            "user_id": 1, "visible_to": "3", "add_time": START_TIME, "update_time": START_TIME,
            "temporary_flag": None, "custom_view_id": None, "filter_code": None,
            "is_editable": True, "last_used_time": None,
        }
        for i, kind in enumerate(FILTER_TYPES, start=1)
    }  # fmt: skip
    tables["goal"] = _goals(seed)
    tables["user_provider_link"] = {}
    # Every other user has connected a Google account.
    tables["user_connection"] = {
        i: {"google": stable_uuid(seed, "google", i)} for i in range(1, counts.user + 1, 2)
    }
    tables["addon"] = {code: {"code": code} for code in COMPANY_ADDONS}
    return tables


def new_role(role_id: int, name: str, parent_role_id: int | None) -> Record:
    """A role; who is assigned to it is the users' ``role_id``, counted when rendered."""
    return {"id": role_id, "parent_role_id": parent_role_id, "name": name, "active_flag": True,
            "_settings": dict(ROLE_SETTINGS), "_hidden_pipelines": []}  # fmt: skip


def _user(rng: random.Random, i: int, sets: list[str]) -> Record:
    first, last = FIRST[(i - 1) % len(FIRST)], LAST[(i * 7) % len(LAST)]
    created = START_TIME + rng.random() * 86400 * 30 * i
    return {
        "id": i, "name": f"{first} {last}", "email": email_for(first, last, "acme.example"),
        "lang": 1, "locale": "en_US", "timezone_name": "Europe/Tallinn", "timezone_offset": "+02:00",
        "default_currency": "EUR", "icon_url": None, "active_flag": True, "is_deleted": False,
        "activated": True, "role_id": 1 if i == 1 else 2, "created": created,
        "modified": created, "last_login": created + 86400, "has_created_company": i == 1,
        # Admin rights live in access entries (the spec has no ``is_admin``): "global" app.
        "access": [{"app": "global", "admin": i == 1, "permission_set_id": sets[0 if i == 1 else 2]},
                   {"app": "sales", "admin": i == 1, "permission_set_id": sets[3 if i == 1 else 1]}],
        "phone": None,
    }  # fmt: skip


def _pipelines(rng: random.Random) -> tuple[dict[Any, Record], dict[Any, Record]]:
    pipelines: dict[Any, Record] = {}
    stages: dict[Any, Record] = {}
    for p in range(1, rng.randint(2, 4) + 1):
        pipelines[p] = {
            "id": p, "name": PIPELINE_NAMES[p - 1], "order_nr": p, "is_deleted": False,
            "is_deal_probability_enabled": p == 1, "is_selected": p == 1,
            "add_time": START_TIME, "update_time": START_TIME,
        }  # fmt: skip
        for order in range(1, rng.randint(4, 7) + 1):
            sid = len(stages) + 1
            stages[sid] = {
                "id": sid, "order_nr": order, "name": STAGE_NAMES[order - 1], "is_deleted": False,
                "deal_probability": min(100, order * 15), "pipeline_id": p,
                "is_deal_rot_enabled": order > 2, "days_to_rotten": 30 if order > 2 else None,
                "add_time": START_TIME, "update_time": START_TIME,
            }  # fmt: skip
    return pipelines, stages


def _permission_sets(seed: int) -> dict[Any, Record]:
    """Permission sets; ``assignment_count`` is counted from the users when rendered."""
    sets = {}
    for n, (name, app, admin) in enumerate(PERMISSION_SETS):
        sid = stable_uuid(seed, "permset", n)
        sets[sid] = {
            "id": sid, "name": name, "description": f"{name} permissions", "app": app,
            "type": "admin" if admin else "regular",
            "_contents": list(PERMISSIONS if admin else REGULAR_PERMISSIONS[app]),
        }  # fmt: skip
    return sets


def goal_id(seed: int, n: int) -> str:
    """The id of the ``n``-th generated goal (a 32-digit hex string, as Pipedrive's)."""
    return (random.Random(f"{seed}:goal:{n}").getrandbits(64).to_bytes(8, "big").hex() * 2)[:32]


def _goals(seed: int) -> dict[Any, Record]:
    goals = {}
    for n, (title, kind) in enumerate(
        (("Won deals Q4", "deals_won"), ("Calls made", "activities_completed"))
    ):
        gid = goal_id(seed, n)
        goals[gid] = {
            "id": gid, "owner_id": 1, "title": title,
            "type": {"name": kind, "params": {"pipeline_id": [1]}},
            "assignee": {"id": 1, "type": "person"},
            "interval": "quarterly", "duration": {"start": "2026-10-01", "end": "2026-12-31"},
            "expected_outcome": {"target": 50 + 25 * n, "tracking_metric": "quantity"},
            "is_active": True, "report_ids": [stable_uuid(seed, "goal-report", n)],
        }  # fmt: skip
    return goals
