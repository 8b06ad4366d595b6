"""Conformance cases of the projects family (projects, tasks, boards, phases, templates,
project fields), v1 and v2: every route called, bodies validated by test_conformance.

Saved names start with ``proj_``. The order matters: records are created, used, then
deleted (a project last, after its tasks, plan and changelog were read).
"""

from __future__ import annotations

from typing import Any

Case = tuple[str, str, str, Any, int, str | None]
NOT_FOUND_ID = 987654321
V2, V1 = "/api/v2", "/api/v1"


def _v2_projects() -> list[Case]:
    p = f"{V2}/projects"
    return [
        ("GET", p, f"{p}?limit=3", None, 200, None),
        ("GET", p, f"{p}?status=open,deleted&phase_id=1&limit=2", None, 200, None),
        ("GET", p, f"{p}?status=done", None, 400, None),
        ("GET", p, f"{p}?filter_id={NOT_FOUND_ID}", None, 404, None),
        ("GET", f"{p}/archived", f"{p}/archived?limit=3", None, 200, None),
        ("POST", p, p, {"title": "Conformance project", "board_id": 1, "deal_ids": [1],
                        "start_date": "2026-11-01", "end_date": "2026-12-01",
                        "custom_fields": {}}, 201, "proj_v2"),
        ("POST", p, p, {"description": "no title"}, 400, None),
        ("POST", p, p, {"title": "Bad phase", "board_id": 1, "phase_id": 6}, 400, None),
        ("GET", p + "/{id}", p + "/{proj_v2}", None, 200, None),
        ("GET", p + "/{id}", f"{p}/{NOT_FOUND_ID}", None, 404, None),
        ("PATCH", p + "/{id}", p + "/{proj_v2}", {"status": "completed", "phase_id": 4}, 200, None),
        ("PATCH", p + "/{id}", p + "/{proj_v2}", {"status": "finished"}, 400, None),
        ("PATCH", p + "/{id}", f"{p}/{NOT_FOUND_ID}", {"title": "x"}, 404, None),
        ("GET", p + "/{id}/changelog", p + "/{proj_v2}/changelog?limit=5", None, 200, None),
        ("GET", p + "/{id}/changelog", p + "/2/changelog", None, 200, None),
        ("GET", p + "/{id}/changelog", f"{p}/{NOT_FOUND_ID}/changelog", None, 404, None),
        ("GET", p + "/{id}/permittedUsers", p + "/{proj_v2}/permittedUsers", None, 200, None),
        ("GET", p + "/{id}/permittedUsers", f"{p}/{NOT_FOUND_ID}/permittedUsers", None, 404, None),
        ("POST", p + "/{id}/archive", p + "/{proj_v2}/archive", None, 200, None),
        ("POST", p + "/{id}/archive", f"{p}/{NOT_FOUND_ID}/archive", None, 404, None),
        ("GET", f"{p}/search", f"{p}/search?term=onboarding&limit=3", None, 200, None),
        ("GET", f"{p}/search", f"{p}/search?term=conformance&fields=title,description&person_id=1", None, 200, None),
        ("GET", f"{p}/search", f"{p}/search?term=x", None, 400, None),
    ]  # fmt: skip


def _v1_projects() -> list[Case]:
    p = f"{V1}/projects"
    return [
        ("GET", p, f"{p}?limit=3&include_archived=true", None, 200, None),
        ("GET", p, f"{p}?limit=501", None, 400, None),
        ("POST", p, p, {"title": "Conformance v1 project", "board_id": 1, "org_id": 1,
                        "labels": [1]}, 201, "proj_v1"),
        ("POST", p, p, {"board_id": 1}, 400, None),
        ("GET", p + "/{id}", p + "/{proj_v1}", None, 200, None),
        ("GET", p + "/{id}", f"{p}/{NOT_FOUND_ID}", None, 404, None),
        ("PUT", p + "/{id}", p + "/{proj_v1}", {"description": "Edited", "person_id": 2}, 200, None),
        ("PUT", p + "/{id}", p + "/{proj_v1}", {"owner_id": NOT_FOUND_ID}, 400, None),
        ("GET", p + "/{id}/groups", p + "/{proj_v1}/groups", None, 200, None),
        ("GET", p + "/{id}/groups", f"{p}/{NOT_FOUND_ID}/groups", None, 404, None),
        ("GET", p + "/{id}/activities", p + "/2/activities", None, 200, None),
        ("POST", f"{V2}/activities", f"{V2}/activities",
         {"subject": "Project call", "type": "call", "project_id": "{proj_v1}"}, 200, "proj_activity"),
        ("GET", p + "/{id}/activities", p + "/{proj_v1}/activities", None, 200, None),
        ("PUT", p + "/{id}/plan/activities/{activityId}", p + "/{proj_v1}/plan/activities/{proj_activity}",
         {"phase_id": 2, "group_id": None}, 200, None),
        ("PUT", p + "/{id}/plan/activities/{activityId}", p + "/{proj_v1}/plan/activities/{proj_activity}",
         {"phase_id": 9}, 400, None),
        ("PUT", p + "/{id}/plan/activities/{activityId}", f"{p}/{{proj_v1}}/plan/activities/{NOT_FOUND_ID}",
         {"phase_id": 1}, 404, None),
        ("POST", f"{V1}/tasks", f"{V1}/tasks", {"title": "Plan me", "project_id": "{proj_v1}"}, 201, "proj_plan_task"),
        ("PUT", p + "/{id}/plan/tasks/{taskId}", p + "/{proj_v1}/plan/tasks/{proj_plan_task}",
         {"phase_id": 3}, 200, None),
        ("PUT", p + "/{id}/plan/tasks/{taskId}", f"{p}/{{proj_v1}}/plan/tasks/{NOT_FOUND_ID}", {}, 404, None),
        ("GET", p + "/{id}/plan", p + "/{proj_v1}/plan", None, 200, None),
        ("GET", p + "/{id}/plan", p + "/2/plan", None, 200, None),
        ("GET", p + "/{id}/tasks", p + "/{proj_v1}/tasks", None, 200, None),
        ("GET", p + "/{id}/tasks", f"{p}/{NOT_FOUND_ID}/tasks", None, 404, None),
        ("POST", p + "/{id}/archive", p + "/{proj_v1}/archive", None, 200, None),
    ]  # fmt: skip


def _tasks() -> list[Case]:
    t2, t1 = f"{V2}/tasks", f"{V1}/tasks"
    return [
        ("GET", t2, f"{t2}?limit=3&is_done=false&parent_task_id=null", None, 200, None),
        ("GET", t2, f"{t2}?project_id=2&assignee_id=1&is_milestone=false", None, 200, None),
        ("GET", t2, f"{t2}?parent_task_id=first", None, 400, None),
        ("POST", t2, t2, {"title": "Conformance task", "project_id": "{proj_v2}", "done": 0,
                          "milestone": 1, "assignee_id": 2, "due_date": "2026-12-10"}, 201, "proj_task"),
        ("POST", t2, t2, {"title": "Sub", "project_id": "{proj_v2}", "parent_task_id": "{proj_task}"}, 201, "proj_subtask"),
        ("POST", t2, t2, {"title": "Orphan"}, 400, None),
        ("POST", t2, t2, {"title": "Bad", "project_id": "{proj_v2}", "done": 2}, 400, None),
        ("GET", t2 + "/{id}", t2 + "/{proj_task}", None, 200, None),
        ("GET", t2 + "/{id}", f"{t2}/{NOT_FOUND_ID}", None, 404, None),
        ("PATCH", t2 + "/{id}", t2 + "/{proj_task}", {"done": 1, "priority": 2}, 200, None),
        ("PATCH", t2 + "/{id}", t2 + "/{proj_task}", {"parent_task_id": "{proj_subtask}"}, 400, None),
        ("GET", t1, f"{t1}?limit=3&done=1", None, 200, None),
        ("GET", t1, f"{t1}?done=yes", None, 400, None),
        ("POST", t1, t1, {"title": "Conformance v1 task", "project_id": "{proj_v2}", "assignee_id": 1}, 201, "proj_task_v1"),
        ("POST", t1, t1, {"project_id": "{proj_v2}"}, 400, None),
        ("GET", t1 + "/{id}", t1 + "/{proj_task_v1}", None, 200, None),
        ("GET", t1 + "/{id}", f"{t1}/{NOT_FOUND_ID}", None, 404, None),
        ("PUT", t1 + "/{id}", t1 + "/{proj_task_v1}", {"done": 1}, 200, None),
        ("DELETE", t1 + "/{id}", t1 + "/{proj_task_v1}", None, 200, None),
        ("DELETE", t1 + "/{id}", t1 + "/{proj_task_v1}", None, 404, None),
        ("DELETE", t2 + "/{id}", t2 + "/{proj_task}", None, 200, None),
        ("DELETE", t2 + "/{id}", t2 + "/{proj_subtask}", None, 404, None),
    ]  # fmt: skip


def _boards_and_templates() -> list[Case]:
    b, ph = f"{V2}/boards", f"{V2}/phases"
    cases: list[Case] = [
        ("GET", b, b, None, 200, None),
        ("POST", b, b, {"name": "Conformance board", "order_nr": 1}, 200, "proj_board"),
        ("POST", b, b, {"name": "Too far", "order_nr": 99}, 400, None),
        ("GET", b + "/{id}", b + "/{proj_board}", None, 200, None),
        ("GET", b + "/{id}", f"{b}/{NOT_FOUND_ID}", None, 404, None),
        ("PATCH", b + "/{id}", b + "/{proj_board}", {"name": "Renamed board", "order_nr": 2}, 200, None),
        ("GET", ph, f"{ph}?board_id=1", None, 200, None),
        ("GET", ph, ph, None, 400, None),
        ("POST", ph, ph, {"name": "Conformance phase", "board_id": "{proj_board}"}, 200, "proj_phase"),
        ("POST", ph, ph, {"name": "Nowhere", "board_id": NOT_FOUND_ID}, 400, None),
        ("GET", ph + "/{id}", ph + "/{proj_phase}", None, 200, None),
        ("GET", ph + "/{id}", f"{ph}/{NOT_FOUND_ID}", None, 404, None),
        ("PATCH", ph + "/{id}", ph + "/{proj_phase}", {"name": "Renamed phase"}, 200, None),
        ("DELETE", ph + "/{id}", ph + "/{proj_phase}", None, 200, None),
        ("DELETE", b + "/{id}", b + "/{proj_board}", None, 200, None),
        ("DELETE", b + "/{id}", b + "/{proj_board}", None, 404, None),
        ("GET", f"{V1}/projects/boards", f"{V1}/projects/boards", None, 200, None),
        ("GET", f"{V1}/projects/boards/{{id}}", f"{V1}/projects/boards/1", None, 200, None),
        ("GET", f"{V1}/projects/boards/{{id}}", f"{V1}/projects/boards/{NOT_FOUND_ID}", None, 404, None),
        ("GET", f"{V1}/projects/phases", f"{V1}/projects/phases?board_id=2", None, 200, None),
        ("GET", f"{V1}/projects/phases/{{id}}", f"{V1}/projects/phases/1", None, 200, None),
    ]  # fmt: skip
    for base in (f"{V2}/projectTemplates", f"{V1}/projectTemplates"):
        cases += [
            ("GET", base, f"{base}?limit=2", None, 200, None),
            ("GET", base + "/{id}", base + "/1", None, 200, None),
            ("GET", base + "/{id}", f"{base}/{NOT_FOUND_ID}", None, 404, None),
        ]
    return cases


def _project_fields() -> list[Case]:
    f = f"{V2}/projectFields"
    key = "{proj_field}"
    return [
        ("GET", f, f"{f}?limit=100", None, 200, None),
        ("POST", f, f, {"field_name": "Risk level", "field_type": "enum",
                        "options": [{"label": "Low"}, {"label": "High"}]}, 200, "proj_field"),
        ("POST", f, f, {"field_name": "Link", "field_type": "url"}, 400, None),
        ("GET", f + "/{field_code}", f"{f}/{key}", None, 200, None),
        ("GET", f + "/{field_code}", f"{f}/nope", None, 404, None),
        ("PATCH", f + "/{field_code}", f"{f}/{key}", {"field_name": "Risk"}, 200, None),
        ("POST", f + "/{field_code}/options", f"{f}/{key}/options", [{"label": "Medium"}], 200, None),
        ("PATCH", f + "/{field_code}/options", f"{f}/{key}/options", [{"id": "{option}", "label": "Lowest"}], 200, None),
        ("DELETE", f + "/{field_code}/options", f"{f}/{key}/options", [{"id": "{option}"}], 200, None),
        ("DELETE", f + "/{field_code}", f"{f}/{key}", None, 200, None),
    ]  # fmt: skip


def _deletes() -> list[Case]:
    return [
        ("DELETE", f"{V1}/projects/{{id}}", f"{V1}/projects/{{proj_v1}}", None, 200, None),
        ("DELETE", f"{V2}/projects/{{id}}", f"{V2}/projects/{{proj_v2}}", None, 200, None),
        ("DELETE", f"{V2}/projects/{{id}}", f"{V2}/projects/{{proj_v2}}", None, 404, None),
        ("GET", f"{V2}/projects/{{id}}", f"{V2}/projects/{{proj_v2}}", None, 200, None),
    ]  # fmt: skip


def cases() -> list[Case]:
    return (
        _v2_projects()
        + _v1_projects()
        + _tasks()
        + _boards_and_templates()
        + _project_fields()
        + _deletes()
    )
