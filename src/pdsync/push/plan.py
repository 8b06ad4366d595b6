"""The plan: what a push does with each input row, and how a dry run shows it.

Every row gets exactly one :class:`PlanItem`: create, update (with its field diffs),
delete, merge, skip (with the reason) or error (with the message). The plan is kept in
the journal, not in memory, so a file of any size is planned in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pdsync.push.payload import Change

Action = Literal["create", "update", "delete", "merge", "skip", "error"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "merge", "skip", "error")
WRITE_ACTIONS = frozenset({"create", "update", "delete", "merge"})

Status = Literal["planned", "sending", "done", "failed"]


@dataclass
class PlanItem:
    row: int
    action: Action
    record_id: Any = None
    body: dict[str, Any] | None = None  # exactly what will be sent
    changes: list[Change] = field(default_factory=list)
    message: str = ""
    key: str | None = None  # the match key value as written
    merge_with: Any = None  # the surviving record of a merge
    status: Status = "planned"
    parent_id: Any = None  # links (deal products, followers…): the record they hang on

    @property
    def writes(self) -> bool:
        return self.action in WRITE_ACTIONS


@dataclass
class PlanSummary:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))

    def add(self, action: str) -> None:
        self.counts[action] = self.counts.get(action, 0) + 1

    @property
    def writes(self) -> int:
        return sum(self.counts.get(a, 0) for a in WRITE_ACTIONS)

    def line(self) -> str:
        parts = [f"{self.counts.get(a, 0)} {_plural(a)}" for a in ACTIONS]
        return "Plan: " + ", ".join(parts)


def _plural(action: str) -> str:
    return {"skip": "to skip", "error": "errors"}.get(action, f"to {action}")


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_item(item: PlanItem, object_name: str) -> str:
    """One line (plus one per changed field) describing what will happen to a row."""
    head = f"row {item.row:>5}  {item.action:<6}"
    target = f" {object_name} #{item.record_id}" if item.record_id is not None else ""
    if item.parent_id is not None:
        target += f" on #{item.parent_id}"
    if item.action == "create":
        shown = ", ".join(f"{c.name}={_short(c.new, 40)}" for c in item.changes)
        return f"{head} {object_name}: {shown or _fields_text(item.body or {})}".rstrip()
    if item.action == "update":
        lines = [f"{head}{target}"]
        lines += [f"             {c.name}: {_short(c.old)} → {_short(c.new)}" for c in item.changes]
        return "\n".join(lines)
    if item.action == "merge":
        return f"{head}{target} into #{item.merge_with}"
    if item.action == "delete":
        return f"{head}{target}"
    return f"{head}{target}  {item.message}".rstrip()


def _fields_text(body: Mapping[str, Any]) -> str:
    flat = dict(body)
    custom = flat.pop("custom_fields", None) or {}
    flat.update(custom)
    return ", ".join(f"{key}={_short(value, 40)}" for key, value in flat.items())


def render_plan(items: Iterable[PlanItem], object_name: str) -> Iterable[str]:
    for item in items:
        yield render_item(item, object_name)
