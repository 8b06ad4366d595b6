"""Conformance cases of the legacy v1 operations (dropped from the current spec, validated
against the 2026-01-14 spec with deprecated operations; see test_conformance.py for the
tuple shape). Saved names are prefixed ``leg_``."""

from __future__ import annotations

from typing import Any

MISSING = 987654321
Case = tuple[str, str, str, Any, int, str | None]
CUSTOM = "9bb59b424a53d22d2bc5db76e2c661d8cb235059"  # a varchar product field of the seed

BODIES: dict[str, tuple[Any, Any, Any]] = {
    # path: (create body, update body, invalid create body)
    "deals": ({"title": "Legacy deal", "value": "1200", "currency": "EUR", "user_id": 2,
               "person_id": 1, "org_id": 1, "label": [1], "visible_to": "3"},
              {"status": "won", "value": 1500}, {"title": "Legacy", "value": "lots"}),
    "persons": ({"name": "Legacy Person", "email": "legacy@example.com",
                 "phone": [{"value": "+372 555 0101", "primary": True, "label": "work"}],
                 "org_id": 1, "label": 1},
                {"name": "Legacy Person (renamed)"}, {"email": "nameless@example.com"}),
    "organizations": ({"name": "Legacy Org", "owner_id": 1, "visible_to": 3},
                      {"name": "Legacy Org (renamed)"}, {"name": 12}),
    "activities": ({"subject": "Legacy call", "type": "call", "due_date": "2026-12-01",
                    "deal_id": 2, "person_id": 1, "busy_flag": 0, "done": 0, "user_id": 1},
                   {"done": 1, "location": "Tallinn"}, {"subject": "Bad", "done": "maybe"}),
    "products": ({"name": "Legacy product", "code": "LEG-1", "selectable": True,
                  "prices": [{"price": "10", "currency": "EUR", "overhead_cost": 1}],
                  CUSTOM: "Legacy text"},
                 {"name": "Legacy product (renamed)"}, {"name": "Bad", "tax": "high"}),
    "pipelines": ({"name": "Legacy pipeline", "deal_probability": 1}, {"name": "Renamed"},
                  {"deal_probability": 1}),
    "stages": ({"name": "Legacy stage", "pipeline_id": 1, "rotten_flag": True, "rotten_days": 7},
               {"name": "Renamed", "rotten_days": 9}, {"name": "No pipeline"}),
}  # fmt: skip
CREATED = {"deals": 201, "persons": 201, "organizations": 201, "activities": 201,
           "products": 201, "pipelines": 200, "stages": 200}  # fmt: skip
BULK = ("deals", "persons", "organizations", "activities", "stages")


def cases() -> list[Case]:
    return _crud() + _lists() + _search() + _deal_products() + _teams() + _channels()


def _crud() -> list[Case]:
    out: list[Case] = []
    for path, (create, update, invalid) in BODIES.items():
        base, item, saved = f"/api/v1/{path}", f"/api/v1/{path}/{{id}}", f"leg_{path}"
        url = f"{base}/{{{saved}}}"
        out += [
            ("POST", base, base, create, CREATED[path], saved),
            ("POST", base, base, invalid, 400, None),
            ("PUT", item, url, update, 200, None),
            ("PUT", item, f"{base}/{MISSING}", update, 404, None),
            ("DELETE", item, url, None, 200, None),
            ("DELETE", item, url, None, 404, None),
        ]
        if path in BULK:
            out += [
                ("POST", base, base, create, CREATED[path], f"{saved}_a"),
                ("POST", base, base, create, CREATED[path], f"{saved}_b"),
                ("DELETE", base, f"{base}?ids={{{saved}_a}},{{{saved}_b}}", None, 200, None),
                ("DELETE", base, base, None, 400, None),
            ]
    return out


def _lists() -> list[Case]:
    out: list[Case] = []
    for path in ("deals", "persons", "organizations", "activities"):
        template = f"/api/v1/{path}/collection"
        out += [
            ("GET", template, f"{template}?limit=5&since=2020-01-01%2000:00:00", None, 200, None),
            ("GET", template, f"{template}?limit=501", None, 400, None),
        ]
    related = [("deals", "activities"), ("deals", "persons"), ("organizations", "activities"),
               ("organizations", "deals"), ("organizations", "persons"),
               ("persons", "activities"), ("persons", "deals"), ("pipelines", "deals"),
               ("stages", "deals")]  # fmt: skip
    for parent, child in related:
        template = f"/api/v1/{parent}/{{id}}/{child}"
        out += [
            ("GET", template, f"/api/v1/{parent}/1/{child}?limit=3", None, 200, None),
            ("GET", template, f"/api/v1/{parent}/{MISSING}/{child}", None, 404, None),
        ]
    out += [
        ("GET", "/api/v1/deals/collection", "/api/v1/deals/collection?status=won&limit=3", None, 200, None),
        ("GET", "/api/v1/activities/collection", "/api/v1/activities/collection?done=true&type=call", None, 200, None),
        ("GET", "/api/v1/deals/{id}/activities", "/api/v1/deals/1/activities?done=1", None, 200, None),
        ("GET", "/api/v1/organizations/{id}/deals", "/api/v1/organizations/1/deals?status=open&sort=title%20DESC", None, 200, None),
        ("GET", "/api/v1/deals/archived", "/api/v1/deals/archived?limit=5", None, 200, None),
        ("GET", "/api/v1/deals/archived", "/api/v1/deals/archived?status=nope", None, 400, None),
        ("GET", "/api/v1/deals/summary/archived", "/api/v1/deals/summary/archived", None, 200, None),
        ("GET", "/api/v1/deals/summary/archived", "/api/v1/deals/summary/archived?status=all", None, 400, None),
        ("GET", "/api/v1/deals/timeline/archived", "/api/v1/deals/timeline/archived?start_date=2020-01-01&interval=quarter&amount=40&field_key=add_time", None, 200, None),
        ("GET", "/api/v1/deals/timeline/archived", "/api/v1/deals/timeline/archived?start_date=2020-01-01&interval=year&amount=4&field_key=add_time", None, 400, None),
    ]  # fmt: skip
    return out


def _search() -> list[Case]:
    out: list[Case] = []
    for path, term in (
        ("deals", "pro"),
        ("persons", "an"),
        ("organizations", "ac"),
        ("products", "pro"),
    ):
        template = f"/api/v1/{path}/search"
        out += [
            ("GET", template, f"{template}?term={term}&start=1&limit=3", None, 200, None),
            ("GET", template, f"{template}?term=x", None, 400, None),
        ]  # fmt: skip
    out += [
        ("GET", "/api/v1/itemSearch", "/api/v1/itemSearch?term=acme&limit=5&search_for_related_items=true", None, 200, None),
        ("GET", "/api/v1/itemSearch", "/api/v1/itemSearch?term=acme&limit=101", None, 400, None),
        ("GET", "/api/v1/itemSearch/field", "/api/v1/itemSearch/field?term=ac&field_type=organizationField&field_key=name&return_item_ids=true", None, 200, None),
        ("GET", "/api/v1/itemSearch/field", "/api/v1/itemSearch/field?term=ac&field_type=organizationField&field_key=name", None, 200, None),
        ("GET", "/api/v1/itemSearch/field", "/api/v1/itemSearch/field?term=ac&field_type=nope&field_key=name", None, 400, None),
    ]  # fmt: skip
    return out


def _deal_products() -> list[Case]:
    base, item = (
        "/api/v1/deals/{id}/products",
        "/api/v1/deals/{id}/products/{product_attachment_id}",
    )
    return [
        ("GET", base, "/api/v1/deals/1/products?include_product_data=1", None, 200, None),
        ("GET", base, f"/api/v1/deals/{MISSING}/products", None, 404, None),
        ("POST", base, "/api/v1/deals/2/products", {"product_id": 1, "item_price": "10", "quantity": 2, "enabled_flag": 1}, 200, "leg_attachment"),
        ("POST", base, "/api/v1/deals/2/products", {"product_id": 1}, 400, None),
        ("PUT", item, "/api/v1/deals/2/products/{leg_attachment}", {"quantity": 3, "discount": 5}, 200, None),
        ("DELETE", item, "/api/v1/deals/2/products/{leg_attachment}", None, 200, None),
        ("DELETE", item, "/api/v1/deals/2/products/{leg_attachment}", None, 404, None),
    ]  # fmt: skip


def _teams() -> list[Case]:
    base, item = "/api/v1/legacyTeams", "/api/v1/legacyTeams/{id}"
    users = item + "/users"
    return [
        ("GET", base, base + "?order_by=name", None, 200, None),
        ("GET", base, base + "?order_by=nope", None, 400, None),
        ("POST", base, base, {"name": "Legacy team", "manager_id": 1, "users": [2, 3]}, 200, "leg_team"),
        ("POST", base, base, {"name": "No manager"}, 400, None),
        ("GET", item, "/api/v1/legacyTeams/{leg_team}?skip_users=1", None, 200, None),
        ("GET", item, f"/api/v1/legacyTeams/{MISSING}", None, 404, None),
        ("PUT", item, "/api/v1/legacyTeams/{leg_team}", {"description": "Renamed", "active_flag": 0}, 200, None),
        ("PUT", item, f"/api/v1/legacyTeams/{MISSING}", {"name": "x"}, 404, None),
        ("GET", "/api/v1/legacyTeams/user/{id}", "/api/v1/legacyTeams/user/2", None, 200, None),
        ("GET", users, "/api/v1/legacyTeams/{leg_team}/users", None, 200, None),
        ("GET", users, f"/api/v1/legacyTeams/{MISSING}/users", None, 404, None),
        ("POST", users, "/api/v1/legacyTeams/{leg_team}/users", {"users": [4]}, 200, None),
        ("DELETE", users, "/api/v1/legacyTeams/{leg_team}/users", {"users": [2]}, 200, None),
        ("DELETE", users, f"/api/v1/legacyTeams/{MISSING}/users", {"users": [2]}, 404, None),
    ]  # fmt: skip


def _channels() -> list[Case]:
    message = {"id": "msg-1", "channel_id": "{leg_channel}", "sender_id": "sender-1",
               "conversation_id": "conv-1", "message": "Hello", "status": "sent",
               "created_at": "2026-12-01 10:00"}  # fmt: skip
    conversation = "/api/v1/channels/{channel-id}/conversations/{conversation-id}"
    return [
        ("POST", "/api/v1/channels", "/api/v1/channels", {"name": "Legacy channel", "provider_channel_id": "page-1", "provider_type": "other"}, 200, "leg_channel"),
        ("POST", "/api/v1/channels", "/api/v1/channels", {"name": "No provider id"}, 400, None),
        ("POST", "/api/v1/channels/messages/receive", "/api/v1/channels/messages/receive", message, 200, None),
        ("POST", "/api/v1/channels/messages/receive", "/api/v1/channels/messages/receive", {**message, "status": "lost"}, 400, None),
        ("DELETE", conversation, "/api/v1/channels/{leg_channel}/conversations/conv-1", None, 200, None),
        ("DELETE", conversation, "/api/v1/channels/{leg_channel}/conversations/conv-1", None, 404, None),
        ("DELETE", "/api/v1/channels/{id}", "/api/v1/channels/{leg_channel}", None, 200, None),
        ("DELETE", "/api/v1/channels/{id}", "/api/v1/channels/{leg_channel}", None, 400, None),
    ]  # fmt: skip
