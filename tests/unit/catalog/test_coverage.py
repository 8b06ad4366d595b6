"""Every list operation of Pipedrive's current specs is a stream or has a documented reason."""

from __future__ import annotations

from pdsync.catalog.coverage import NOT_REPLICATED, coverage, list_operations
from pdsync.catalog.registry import STREAMS


def test_every_list_operation_is_a_stream_or_explained() -> None:
    uncovered = [o.path for o in coverage() if not o.streams and not o.reason]
    assert uncovered == [], f"add a stream or a reason in catalog/coverage.py: {uncovered}"


def test_no_reason_is_stale_or_contradicts_a_stream() -> None:
    listed = {path for _, path, _, _ in list_operations()}
    read = {s.api_path for s in STREAMS}
    assert sorted(set(NOT_REPLICATED) - listed) == [], "reasons for operations not in the specs"
    assert sorted(set(NOT_REPLICATED) & read) == [], "a stream reads it: drop the reason"


def test_every_stream_reads_a_list_operation_of_the_current_specs() -> None:
    listed = {path for _, path, _, _ in list_operations()}
    assert sorted(s.name for s in STREAMS if s.api_path not in listed) == []


def test_the_new_objects_of_issue_13_are_streams() -> None:
    names = {s.name for s in STREAMS}
    wanted = {
        "deal_flow", "deal_changelog", "person_changelog", "organization_changelog",
        "deal_participants_changelog", "deal_followers_changelog", "mail_threads",
        "mail_messages", "projects", "project_phases", "project_boards", "tasks",
        "project_templates", "project_fields", "call_logs", "product_variations",
        "deal_installments", "deal_discounts", "note_comments", "deal_permitted_users",
    }  # fmt: skip
    assert wanted <= names, sorted(wanted - names)
