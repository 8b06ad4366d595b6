"""Small reference tables of an account, built whole at start-up (they stay tiny).

Users, pipelines and stages, lead labels and sources, activity types, currencies,
filters, roles, permission sets and goals. Records use epoch floats for times;
the renderers format them.
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


def stable_uuid(seed: int, kind: str, n: int) -> str:
    return str(uuid.UUID(int=random.Random(f"{seed}:{kind}:{n}").getrandbits(128), version=4))


def build_static(seed: int, counts: Counts) -> dict[str, dict[Any, Record]]:
    rng = random.Random(f"{seed}:static")
    tables: dict[str, dict[Any, Record]] = {}
    tables["permission_set"] = _permission_sets(seed)
    admin_set = next(iter(tables["permission_set"]))
    tables["role"] = {
        1: {
            "id": 1,
            "parent_role_id": None,
            "name": "Management",
            "active_flag": True,
            "assignment_count": "1",
            "sub_role_count": "1",
            "level": 1,
        },
        2: {
            "id": 2,
            "parent_role_id": 1,
            "name": "Sales team",
            "active_flag": True,
            "assignment_count": str(max(counts.user - 1, 0)),
            "sub_role_count": "0",
            "level": 2,
        },
    }
    tables["user"] = {i: _user(rng, i, admin_set) for i in range(1, counts.user + 1)}
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
    return tables


def _user(rng: random.Random, i: int, permission_set: str) -> Record:
    first, last = FIRST[(i - 1) % len(FIRST)], LAST[(i * 7) % len(LAST)]
    created = START_TIME + rng.random() * 86400 * 30 * i
    return {
        "id": i, "name": f"{first} {last}", "email": email_for(first, last, "acme.example"),
        "lang": 1, "locale": "en_US", "timezone_name": "Europe/Tallinn", "timezone_offset": "+02:00",
        "default_currency": "EUR", "icon_url": None, "active_flag": True, "is_deleted": False,
        "activated": True, "role_id": 1 if i == 1 else 2, "created": created,
        "modified": created, "last_login": created + 86400, "has_created_company": i == 1,
        # Admin rights live in access entries (the spec has no ``is_admin``): "global" app.
        "access": [{"app": "global", "admin": i == 1, "permission_set_id": permission_set},
                   {"app": "sales", "admin": i == 1, "permission_set_id": permission_set}],
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
    sets = {}
    for n, (name, app) in enumerate((("Global admin", "global"), ("Regular user", "sales"))):
        sid = stable_uuid(seed, "permset", n)
        sets[sid] = {
            "id": sid, "name": name, "description": f"{name} permissions", "app": app,
            "type": "admin" if n == 0 else "regular", "assignment_count": 1,
        }  # fmt: skip
    return sets


def _goals(seed: int) -> dict[Any, Record]:
    goals = {}
    for n, (title, kind) in enumerate(
        (("Won deals Q4", "deals_won"), ("Calls made", "activities_completed"))
    ):
        gid = random.Random(f"{seed}:goal:{n}").getrandbits(64).to_bytes(8, "big").hex() * 2
        goals[gid] = {
            "id": gid[:32], "owner_id": 1, "title": title,
            "type": {"name": kind, "params": {"pipeline_id": [1]}},
            "assignee": {"id": 1, "type": "person"},
            "interval": "quarterly", "duration": {"start": "2026-10-01", "end": "2026-12-31"},
            "expected_outcome": {"target": 50 + 25 * n, "tracking_metric": "quantity"},
            "is_active": True, "report_ids": [],
        }  # fmt: skip
    return {g["id"]: g for g in goals.values()}
