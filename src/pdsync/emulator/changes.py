"""Change events the emulator's store publishes after every write (webhooks listen to them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["create", "change", "delete"]


@dataclass(frozen=True)
class ChangeEvent:
    """One committed write.

    ``entity`` uses the webhook v2 nouns (``deal``, ``person``, ``organization``,
    ``activity``, ``lead``, ``note``, ``product``, ``pipeline``, ``stage``, ``user``).
    ``current`` and ``previous`` are whole records as the API renders them (v2 where
    the entity has v2, v1 otherwise): ``current`` is None on delete, ``previous`` is
    None on create.
    """

    action: Action
    entity: str
    entity_id: int | str
    current: dict[str, Any] | None
    previous: dict[str, Any] | None
    user_id: int = 1
    change_source: str = "api"
    is_bulk_edit: bool = False
    extra_meta: dict[str, Any] = field(default_factory=dict)  # merged_to_id / merged_from_id


ChangeListener = Callable[[ChangeEvent], None]
