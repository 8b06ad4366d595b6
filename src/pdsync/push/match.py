"""Find the record an input row means, for update, upsert, delete and merge.

By id: a direct read. By any other field (email, name, title, code, a custom field):
Pipedrive's exact-match search, then a read of each candidate to confirm the field
really holds the value (search on ``custom_fields`` looks in all of them at once), or
the local replica when one is given (no search call). Zero matches and two or more
matches are reported as they are: the planner turns two into a row error, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pdsync.errors import ConfigError
from pdsync.push.api import PushClient, get_record, search_exact
from pdsync.push.fields import FieldDef, FieldSet
from pdsync.push.objects import ObjectSpec
from pdsync.push.payload import current_value, same
from pdsync.push.replica import Replica, replica_column
from pdsync.push.values import RowError

# Beyond this many exact-match candidates the key cannot be meant to be unique.
_MAX_CANDIDATES = 10


@dataclass(frozen=True)
class Key:
    """The field rows are matched on; ``field`` is None for the record id."""

    name: str
    field: FieldDef | None

    @property
    def code(self) -> str:
        return self.field.code if self.field else "id"


def resolve_key(spec: ObjectSpec, fields: FieldSet, name: str, replica: Replica | None) -> Key:
    """The --key as a field this object can be matched on, or a ConfigError saying why not."""
    if name.strip().lower() in ("id", "record_id", f"{spec.name[:-1]}_id"):
        return Key("id", None)
    try:
        target = fields.resolve(name)
    except LookupError as exc:
        raise ConfigError(f"--key {name}: {exc}.") from None
    if target is None:
        hints = fields.suggest(name)
        raise ConfigError(
            f"--key {name!r} is not a field of {spec.name}.",
            hint=f"Did you mean {', '.join(hints)}?" if hints else "Use id or a field name.",
        )
    usable_replica = replica is not None and spec.replica_table is not None
    if spec.search_path is None and not usable_replica:
        raise ConfigError(
            f"{spec.name} have no search in the API, so they can only be matched by id.",
            hint="Use --key id, or pass --replica sqlite:///pipedrive.db to match locally.",
        )
    return Key(name, target)


class Matcher:
    def __init__(
        self,
        client: PushClient,
        spec: ObjectSpec,
        fields: FieldSet,
        key: Key,
        replica: Replica | None = None,
    ) -> None:
        self.client = client
        self.spec = spec
        self.fields = fields
        self.key = key
        self.replica = replica

    def find(self, raw: Any, canonical: Any) -> list[dict[str, Any]]:
        """The live records whose key field holds this value (read in full)."""
        if self.key.field is None:
            record = get_record(self.client, self.spec, _as_id(self.spec, raw))
            return [record] if record is not None else []
        ids = self._candidate_ids(raw, canonical)
        if len(ids) > _MAX_CANDIDATES:
            return [{"id": i} for i in ids]  # too many to read: ambiguous as it stands
        records = []
        for record_id in ids:
            record = get_record(self.client, self.spec, record_id)
            if record is not None and self._holds(record, canonical):
                records.append(record)
        return records

    def _candidate_ids(self, raw: Any, canonical: Any) -> list[Any]:
        target = self.key.field
        assert target is not None
        term = _search_term(raw, canonical)
        table = self.spec.replica_table
        if self.replica is not None and table is not None:
            column = replica_column(target.code, target.replica_column, target.is_custom)
            if self.replica.has(table, column):
                return list(dict.fromkeys(self.replica.find_ids(table, column, term)))
        if self.spec.search_path is None:
            raise ConfigError(
                f"The replica has no column to match {self.spec.name} on {self.key.name}.",
                hint="Run `pdsync sync` again or use --key id.",
            )
        search_field = self.spec.search_fields.get(target.code)
        if search_field is None:
            search_field = "custom_fields" if target.is_custom else target.code
        items = search_exact(self.client, self.spec.search_path, term, search_field)
        return list(dict.fromkeys(item["id"] for item in items if "id" in item))

    def _holds(self, record: dict[str, Any], canonical: Any) -> bool:
        target = self.key.field
        assert target is not None
        current = current_value(self.spec, self.fields, record, target.code)
        if isinstance(canonical, list) and canonical and isinstance(canonical[0], dict):
            wanted = str(canonical[0].get("value", "")).strip().lower()
            return any(
                str(entry.get("value", "")).strip().lower() == wanted
                for entry in current or []
                if isinstance(entry, dict)
            )
        if isinstance(canonical, str) and isinstance(current, str):
            return canonical.strip().lower() == current.strip().lower()
        return same(canonical, current)


def _search_term(raw: Any, canonical: Any) -> str:
    if isinstance(canonical, list) and canonical and isinstance(canonical[0], dict):
        return str(canonical[0].get("value", ""))
    return str(raw).strip()


def _as_id(spec: ObjectSpec, raw: Any) -> Any:
    text = str(raw).strip()
    if spec.id_type is int:
        if text.endswith(".0"):
            text = text[:-2]
        if not text.isdigit():
            raise RowError(f"id {raw!r} is not a number")
        return int(text)
    return text
