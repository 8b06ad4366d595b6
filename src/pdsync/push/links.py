"""Reading the children of a record: deal products, deal participants, followers.

A push of links checks what is already there before it writes: adding a follower who
already follows is a 400 in Pipedrive, and a deal product is matched on (deal,
product). Each parent's list is read once per push (cached), so a file that adds 40
followers to one deal costs one list call. A link whose create answer was lost is
looked for in a fresh read of its parent's list before it is sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pdsync.errors import NotFoundError
from pdsync.push.api import PushClient, list_records
from pdsync.push.objects import LinkSpec, ObjectSpec
from pdsync.push.readback import SKEW_SECONDS, holds_body, parse_time
from pdsync.push.values import RowError


def link_of(spec: ObjectSpec) -> LinkSpec:
    if spec.link is None:
        raise ValueError(f"{spec.name} is not a link object")
    return spec.link


def target_of(child: Mapping[str, Any], code: str) -> Any:
    """The linked item's id in a list answer (v1 expands ``person_id`` into an object)."""
    value = child.get(code)
    if isinstance(value, Mapping):
        return value.get("value", value.get("id"))
    return value


def parent_noun(link: LinkSpec) -> str:
    return link.parent_path[:-1]


class Children:
    """The children of each parent record, listed once per push."""

    def __init__(self, client: PushClient, spec: ObjectSpec) -> None:
        self.client = client
        self.spec = spec
        self.link = link_of(spec)
        self._cache: dict[Any, list[dict[str, Any]]] = {}

    def of(self, parent_id: Any) -> list[dict[str, Any]]:
        if parent_id not in self._cache:
            self._cache[parent_id] = self.fetch(parent_id)
        return self._cache[parent_id]

    def fetch(self, parent_id: Any) -> list[dict[str, Any]]:
        """A fresh read of the parent's list; a missing parent is a row error."""
        path = self.link.collection(parent_id)
        try:
            return list(list_records(self.client, path, self.spec.version))
        except NotFoundError:
            raise RowError(f"no {parent_noun(self.link)} #{parent_id}") from None

    def matching(
        self, parent_id: Any, target_id: Any, *, fresh: bool = False
    ) -> list[dict[str, Any]]:
        """The children of ``parent_id`` that link ``target_id``."""
        children = self.fetch(parent_id) if fresh else self.of(parent_id)
        return [c for c in children if same_id(target_of(c, self.link.target), target_id)]


def same_id(left: Any, right: Any) -> bool:
    return left is not None and str(left) == str(right)


def find_link_created(
    children: Children,
    parent_id: Any,
    body: Mapping[str, Any],
    sent_at: float,
    claimed: Callable[[Any], bool] = lambda _: False,
) -> Any | None:
    """The id of the link a lost create made, or None if it did not land.

    A follower or participant is there or not: finding it is enough. A deal product
    may be attached twice, so it must also have been added after the request left,
    hold every value that was sent, and not be claimed by another row.
    """
    link = children.link
    for child in children.matching(parent_id, body.get(link.target), fresh=True):
        child_id = child.get(link.id_field)
        if link.has_values and not _landed_with(child, body, sent_at):
            continue
        if not claimed(child_id):
            return child_id
    return None


def _landed_with(child: Mapping[str, Any], body: Mapping[str, Any], sent_at: float) -> bool:
    added = parse_time(child.get("add_time"))
    if added is not None and added < sent_at - SKEW_SECONDS:
        return False
    return holds_body(child, body)
