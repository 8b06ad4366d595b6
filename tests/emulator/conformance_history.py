"""Conformance cases of the history, mail and per-entity relation operations (see
test_conformance.py for the tuple shape). Ids that only the seed knows (a lead's UUID, a
seeded note comment, a conversion's id) are derived here the way the emulator derives them."""

from __future__ import annotations

from typing import Any

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.records import lead_uuid
from pdsync.emulator.resources.conversions import conversion_id
from pdsync.emulator.resources.note_comments import seeded_uuid

SEED = EmulatorConfig().seed
MISSING = 987654321
Case = tuple[str, str, str, Any, int, str | None]
PNG = {"multipart": {}, "file": ["face.png", "not really a png"]}
AUDIO = {"multipart": {}, "file": ["call.mp3", "ID3 audio"]}


def cases() -> list[Case]:
    return _history() + _followers() + _mail() + _money() + _conversions() + _products() + _misc()


def _history() -> list[Case]:
    out: list[Case] = []
    for path in ("deals", "persons", "organizations"):
        v1 = f"/api/v1/{path}/{{id}}"
        out += [
            ("GET", v1 + "/flow", f"/api/v1/{path}/4/flow?limit=5", None, 200, None),
            ("GET", v1 + "/flow", f"/api/v1/{path}/4/flow?items=nope", None, 400, None),
            ("GET", v1 + "/flow", f"/api/v1/{path}/{MISSING}/flow", None, 404, None),
            ("GET", v1 + "/changelog", f"/api/v1/{path}/4/changelog?limit=2", None, 200, None),
            ("GET", v1 + "/changelog", f"/api/v1/{path}/{MISSING}/changelog", None, 404, None),
        ]
    out += [
        ("GET", "/api/v1/deals/{id}/flow", "/api/v1/deals/6/flow?all_changes=1&items=change,activity,note,mailMessage", None, 200, None),
        ("GET", "/api/v1/deals/{id}/participantsChangelog", "/api/v1/deals/4/participantsChangelog", None, 200, None),
        ("GET", "/api/v1/deals/{id}/participantsChangelog", f"/api/v1/deals/{MISSING}/participantsChangelog", None, 404, None),
        ("GET", "/api/v2/users/{id}/followers", "/api/v2/users/2/followers", None, 200, None),
        ("GET", "/api/v2/users/{id}/followers", f"/api/v2/users/{MISSING}/followers", None, 404, None),
    ]  # fmt: skip
    for path in ("deals", "persons", "organizations", "products"):
        template = f"/api/v2/{path}/{{id}}/followers/changelog"
        out += [
            ("GET", template, f"/api/v2/{path}/4/followers/changelog", None, 200, None),
            ("GET", template, f"/api/v2/{path}/4/followers/changelog?limit=501", None, 400, None),
        ]
    return out


def _followers() -> list[Case]:
    out: list[Case] = []
    for path in ("deals", "persons", "organizations", "products"):
        base = f"/api/v1/{path}/{{id}}/followers"
        url = f"/api/v1/{path}/4/followers"
        out += [
            ("GET", base, url, None, 200, None),
            (
                "POST",
                base,
                url,
                {"user_id": 3},
                201 if path == "products" else 200,
                f"hist_f_{path}",
            ),
            ("POST", base, url, {"user_id": 3}, 400, None),
            ("POST", base, url, {}, 400, None),
            ("DELETE", base + "/{follower_id}", url + f"/{{hist_f_{path}}}", None, 200, None),
            ("DELETE", base + "/{follower_id}", url + f"/{MISSING}", None, 404, None),
        ]
    lead = lead_uuid(SEED, 2)
    for path, item in (
        ("deals", 4),
        ("persons", 4),
        ("organizations", 4),
        ("products", 4),
        ("leads", lead),
    ):
        template = f"/api/v1/{path}/{{id}}/permittedUsers"
        out.append(("GET", template, f"/api/v1/{path}/{item}/permittedUsers", None, 200, None))
    out.append(
        (
            "GET",
            "/api/v1/deals/{id}/permittedUsers",
            f"/api/v1/deals/{MISSING}/permittedUsers",
            None,
            404,
            None,
        )
    )
    return out  # fmt: skip


def _mail() -> list[Case]:
    base = "/api/v1/mailbox"
    out: list[Case] = [
        ("GET", f"{base}/mailThreads", f"{base}/mailThreads?folder=inbox&limit=5", None, 200, None),
        ("GET", f"{base}/mailThreads", f"{base}/mailThreads?folder=sent", None, 200, None),
        ("GET", f"{base}/mailThreads", f"{base}/mailThreads?folder=spam", None, 400, None),
        ("GET", f"{base}/mailThreads/{{id}}", f"{base}/mailThreads/3", None, 200, None),
        ("GET", f"{base}/mailThreads/{{id}}", f"{base}/mailThreads/{MISSING}", None, 404, None),
        ("PUT", f"{base}/mailThreads/{{id}}", f"{base}/mailThreads/3", {"read_flag": 0, "deal_id": 8}, 200, None),
        ("PUT", f"{base}/mailThreads/{{id}}", f"{base}/mailThreads/3", {"read_flag": 7}, 400, None),
        ("GET", f"{base}/mailThreads/{{id}}/mailMessages", f"{base}/mailThreads/3/mailMessages", None, 200, None),
        ("GET", f"{base}/mailMessages/{{id}}", f"{base}/mailMessages/25?include_body=1", None, 200, None),
        ("GET", f"{base}/mailMessages/{{id}}", f"{base}/mailMessages/{MISSING}", None, 404, None),
        ("DELETE", f"{base}/mailThreads/{{id}}", f"{base}/mailThreads/5", None, 200, None),
        ("GET", f"{base}/mailThreads/{{id}}", f"{base}/mailThreads/5", None, 404, None),
    ]  # fmt: skip
    for path in ("deals", "persons", "organizations"):
        template = f"/api/v1/{path}/{{id}}/mailMessages"
        out += [
            ("GET", template, f"/api/v1/{path}/6/mailMessages?include_body=1", None, 200, None),
            ("GET", template, f"/api/v1/{path}/6/mailMessages?include_body=2", None, 400, None),
        ]
    return out


def _money() -> list[Case]:
    deal = "/api/v2/deals/{id}"
    return [
        ("GET", deal + "/discounts", "/api/v2/deals/2/discounts", None, 200, None),
        ("POST", deal + "/discounts", "/api/v2/deals/2/discounts", {"description": "Loyalty", "amount": 10, "type": "percentage"}, 201, "hist_discount"),
        ("POST", deal + "/discounts", "/api/v2/deals/2/discounts", {"description": "Bad", "amount": 10, "type": "free"}, 400, None),
        ("PATCH", deal + "/discounts/{discount_id}", "/api/v2/deals/2/discounts/{hist_discount}", {"amount": 12.5}, 200, None),
        ("DELETE", deal + "/discounts/{discount_id}", "/api/v2/deals/2/discounts/{hist_discount}", None, 200, None),
        ("DELETE", deal + "/discounts/{discount_id}", "/api/v2/deals/2/discounts/{hist_discount}", None, 404, None),
        ("GET", "/api/v2/deals/installments", "/api/v2/deals/installments?deal_ids=2,11,38&sort_by=billing_date", None, 200, None),
        ("GET", "/api/v2/deals/installments", "/api/v2/deals/installments", None, 400, None),
        ("POST", deal + "/installments", "/api/v2/deals/2/installments", {"description": "First", "amount": 100, "billing_date": "2026-12-01"}, 200, "hist_installment"),
        ("POST", deal + "/installments", "/api/v2/deals/2/installments", {"description": "First", "amount": 100}, 400, None),
        ("PATCH", deal + "/installments/{installment_id}", "/api/v2/deals/2/installments/{hist_installment}", {"amount": 150}, 200, None),
        ("DELETE", deal + "/installments/{installment_id}", "/api/v2/deals/2/installments/{hist_installment}", None, 200, None),
        ("DELETE", deal + "/installments/{installment_id}", "/api/v2/deals/2/installments/{hist_installment}", None, 404, None),
        ("POST", deal + "/products/bulk", "/api/v2/deals/7/products/bulk", {"data": [{"product_id": 1, "item_price": 5, "quantity": 2}, {"product_id": 2, "item_price": 7, "quantity": 1}]}, 201, None),
        ("POST", deal + "/products/bulk", "/api/v2/deals/7/products/bulk", {"data": [{"product_id": 1}]}, 400, None),
        ("DELETE", deal + "/products", "/api/v2/deals/7/products", None, 200, None),
        ("DELETE", deal + "/products", f"/api/v2/deals/7/products?ids={MISSING}", None, 404, None),
    ]  # fmt: skip


def _conversions() -> list[Case]:
    lead = lead_uuid(SEED, 5)
    lead_job = conversion_id(SEED, "lead", lead, 0)
    deal_job = conversion_id(SEED, "deal", 9, 0)
    return [
        ("POST", "/api/v2/leads/{id}/convert/deal", f"/api/v2/leads/{lead}/convert/deal", {"pipeline_id": 1}, 200, None),
        ("POST", "/api/v2/leads/{id}/convert/deal", f"/api/v2/leads/{lead}/convert/deal", {"stage_id": MISSING}, 400, None),
        ("GET", "/api/v2/leads/{id}/convert/status/{conversion_id}", f"/api/v2/leads/{lead}/convert/status/{lead_job}", None, 200, None),
        ("GET", "/api/v2/leads/{id}/convert/status/{conversion_id}", f"/api/v2/leads/{lead}/convert/status/{lead_job}", None, 200, None),
        ("GET", "/api/v2/leads/{id}/convert/status/{conversion_id}", f"/api/v2/leads/{lead}/convert/status/{deal_job}", None, 404, None),
        ("POST", "/api/v2/deals/{id}/convert/lead", "/api/v2/deals/9/convert/lead", None, 200, None),
        ("POST", "/api/v2/deals/{id}/convert/lead", f"/api/v2/deals/{MISSING}/convert/lead", None, 404, None),
        ("GET", "/api/v2/deals/{id}/convert/status/{conversion_id}", f"/api/v2/deals/9/convert/status/{deal_job}", None, 200, None),
        ("GET", "/api/v2/deals/{id}/convert/status/{conversion_id}", f"/api/v2/deals/9/convert/status/{deal_job}", None, 200, None),
    ]  # fmt: skip


def _products() -> list[Case]:
    product = "/api/v2/products/{id}"
    return [
        ("GET", product + "/variations", "/api/v2/products/2/variations?limit=1", None, 200, None),
        ("POST", product + "/variations", "/api/v2/products/2/variations", {"name": "Large", "prices": [{"price": 12, "currency": "EUR"}]}, 201, "hist_variation"),
        ("POST", product + "/variations", "/api/v2/products/2/variations", {"prices": []}, 400, None),
        ("PATCH", product + "/variations/{product_variation_id}", "/api/v2/products/2/variations/{hist_variation}", {"name": "Larger"}, 200, None),
        ("DELETE", product + "/variations/{product_variation_id}", "/api/v2/products/2/variations/{hist_variation}", None, 200, None),
        ("DELETE", product + "/variations/{product_variation_id}", "/api/v2/products/2/variations/{hist_variation}", None, 404, None),
        ("GET", product + "/images", "/api/v2/products/3/images", None, 200, None),
        ("GET", product + "/images", "/api/v2/products/4/images", None, 404, None),
        # Uploads name the file part "data"; the conformance client sends "file": refused.
        ("POST", product + "/images", "/api/v2/products/4/images", PNG, 400, None),
        ("PUT", product + "/images", "/api/v2/products/3/images", PNG, 400, None),
        ("DELETE", product + "/images", "/api/v2/products/3/images", None, 200, None),
        ("POST", product + "/duplicate", "/api/v2/products/2/duplicate", None, 201, None),
        ("POST", product + "/duplicate", f"/api/v2/products/{MISSING}/duplicate", None, 404, None),
    ]  # fmt: skip


def _misc() -> list[Case]:
    comment = seeded_uuid(SEED, 4)
    notes = "/api/v1/notes/{id}/comments"
    return [
        ("GET", "/api/v2/persons/{id}/picture", "/api/v2/persons/6/picture", None, 404, None),
        ("POST", "/api/v1/persons/{id}/picture", "/api/v1/persons/6/picture", PNG, 200, None),
        ("GET", "/api/v2/persons/{id}/picture", "/api/v2/persons/6/picture", None, 200, None),
        ("DELETE", "/api/v1/persons/{id}/picture", "/api/v1/persons/6/picture", None, 200, None),
        ("DELETE", "/api/v1/persons/{id}/picture", "/api/v1/persons/6/picture", None, 404, None),
        ("GET", "/api/v1/persons/{id}/products", "/api/v1/persons/5/products", None, 200, None),
        ("GET", "/api/v1/products/{id}/deals", "/api/v1/products/3/deals?status=all_not_deleted", None, 200, None),
        ("GET", "/api/v1/products/{id}/deals", "/api/v1/products/3/deals?status=nope", None, 400, None),
        ("PUT", "/api/v1/persons/{id}", "/api/v1/persons/7", {"name": "Renamed Person", "email": ["r@example.com"], "visible_to": "3"}, 200, None),
        ("PUT", "/api/v1/persons/{id}", "/api/v1/persons/7", {"visible_to": "2"}, 400, None),
        ("PUT", "/api/v1/persons/{id}", f"/api/v1/persons/{MISSING}", {"name": "X"}, 404, None),
        ("GET", notes, "/api/v1/notes/4/comments", None, 200, None),
        ("POST", notes, "/api/v1/notes/4/comments", {"content": "<p>Noted</p>"}, 200, None),
        ("POST", notes, "/api/v1/notes/4/comments", {}, 400, None),
        ("GET", notes + "/{commentId}", f"/api/v1/notes/4/comments/{comment}", None, 200, None),
        ("PUT", notes + "/{commentId}", f"/api/v1/notes/4/comments/{comment}", {"content": "<p>Edited</p>"}, 200, None),
        ("DELETE", notes + "/{commentId}", f"/api/v1/notes/4/comments/{comment}", None, 200, None),
        ("GET", notes + "/{commentId}", f"/api/v1/notes/4/comments/{comment}", None, 404, None),
        ("GET", "/api/v1/callLogs", "/api/v1/callLogs?limit=5", None, 200, None),
        ("GET", "/api/v1/callLogs", "/api/v1/callLogs?limit=51", None, 400, None),
        ("POST", "/api/v1/callLogs", "/api/v1/callLogs", {"to_phone_number": "+3725550000", "outcome": "connected", "start_time": "2026-11-02 09:00:00", "end_time": "2026-11-02 09:04:00", "deal_id": 12}, 200, "hist_call"),
        ("POST", "/api/v1/callLogs", "/api/v1/callLogs", {"to_phone_number": "+3725550000", "outcome": "maybe", "start_time": "2026-11-02 09:00:00", "end_time": "2026-11-02 09:04:00"}, 400, None),
        ("GET", "/api/v1/callLogs/{id}", "/api/v1/callLogs/{hist_call}", None, 200, None),
        ("POST", "/api/v1/callLogs/{id}/recordings", "/api/v1/callLogs/{hist_call}/recordings", AUDIO, 200, None),
        ("DELETE", "/api/v1/callLogs/{id}", "/api/v1/callLogs/{hist_call}", None, 200, None),
        ("GET", "/api/v1/callLogs/{id}", "/api/v1/callLogs/{hist_call}", None, 404, None),
        ("GET", "/api/v1/deals/summary", "/api/v1/deals/summary?status=open", None, 200, None),
        ("GET", "/api/v1/deals/summary", "/api/v1/deals/summary?status=gone", None, 400, None),
        ("GET", "/api/v1/deals/timeline", "/api/v1/deals/timeline?start_date=2025-01-01&interval=quarter&amount=2&field_key=add_time", None, 200, None),
        ("GET", "/api/v1/deals/timeline", "/api/v1/deals/timeline?start_date=2025-01-01&interval=year&amount=2&field_key=add_time", None, 400, None),
        ("POST", "/api/v1/deals/{id}/duplicate", "/api/v1/deals/12/duplicate", None, 200, None),
        ("POST", "/api/v1/deals/{id}/duplicate", f"/api/v1/deals/{MISSING}/duplicate", None, 404, None),
        ("GET", "/api/v1/leads/search", "/api/v1/leads/search?term=lead&limit=3", None, 200, None),
        ("GET", "/api/v1/leads/search", "/api/v1/leads/search?term=x", None, 400, None),
    ]  # fmt: skip
