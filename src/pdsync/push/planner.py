"""Decide, row by row, what a push does: the only place that knows the five modes.

insert  create every row.
update  match on --key; change only the fields that differ; no match is a row error.
upsert  match on --key; update as above, or create when nothing matches.
delete  match on --key; delete the match; no match is skipped (already gone).
merge   match the row (--key) and its ``merge_with`` column; fold the first into the second.

Two matches are always a row error, never a guess, and the same key twice in one file
is an error on the second row. Planning only reads; every decision is saved in the
journal, so a rerun skips rows an earlier run applied and checks rows it left halfway.
"""

from __future__ import annotations

from typing import Any

from pdsync.push.api import PushClient
from pdsync.push.convert import ConvertedRow, RowConverter
from pdsync.push.fields import FieldSet
from pdsync.push.inputs import InputRow
from pdsync.push.journal import Journal, Previous
from pdsync.push.match import Key, Matcher
from pdsync.push.objects import Mode, ObjectSpec
from pdsync.push.payload import Change, api_body, diff
from pdsync.push.plan import PlanItem
from pdsync.push.readback import find_created
from pdsync.push.values import RowError


class Planner:
    def __init__(
        self,
        client: PushClient,
        spec: ObjectSpec,
        fields: FieldSet,
        converter: RowConverter,
        mode: Mode,
        journal: Journal,
        key: Key | None = None,
        matcher: Matcher | None = None,
    ) -> None:
        self.client = client
        self.spec = spec
        self.fields = fields
        self.converter = converter
        self.mode = mode
        self.journal = journal
        self.key = key
        self.matcher = matcher

    def plan(self, row: InputRow) -> PlanItem:
        """The plan for one row, saved in the journal."""
        row_hash = row.fingerprint()
        previous = self.journal.previous(row.number)
        same_row = previous is not None and previous.row_hash == row_hash
        if same_row and previous is not None and previous.status == "done":
            self.journal.keep(row.number, None)
            return PlanItem(
                row.number,
                "skip",
                previous.record_id,
                message=f"already applied by an earlier run ({previous.action})",
                status="done",
            )
        if same_row and previous is not None and previous.status == "sending":
            recovered = self._recover(row, previous)
            if recovered is not None:
                self.journal.save(recovered, row_hash, None)
                return recovered
        match_key: str | None = None
        try:
            converted = self.converter.convert(row)
            match_key = self._match_key(converted)
            item = self._decide(row.number, converted, match_key)
        except RowError as exc:
            item = PlanItem(row.number, "error", message=str(exc))
        if same_row and previous is not None and previous.status == "sending":
            item = confirm_landed(item, previous)
        self.journal.save(item, row_hash, match_key)
        return item

    def _recover(self, row: InputRow, previous: Previous) -> PlanItem | None:
        """A create left halfway: read back whether it landed before planning it again."""
        if previous.action != "create" or previous.body is None or previous.sent_at is None:
            return None
        found = find_created(
            self.client,
            self.spec,
            previous.body,
            previous.sent_at,
            claimed=lambda rid: self.journal.is_claimed(rid, row.number),
        )
        if found is None:
            return None
        return PlanItem(
            row.number,
            "create",
            found,
            body=previous.body,
            message="created by an earlier run (found by read-back)",
            status="done",
        )

    def _match_key(self, converted: ConvertedRow) -> str | None:
        if self.key is None:
            return None
        raw = self._key_raw(converted)
        if raw is None:
            return None
        canonical = converted.values.get(self.key.code)
        if isinstance(canonical, list) and canonical and isinstance(canonical[0], dict):
            return str(canonical[0].get("value", "")).strip().lower()
        return str(raw).strip().lower()

    def _key_raw(self, converted: ConvertedRow) -> Any:
        assert self.key is not None
        if self.key.field is None:
            return converted.control.get("id")
        return converted.raw.get(self.key.code)

    def _decide(self, row: int, converted: ConvertedRow, match_key: str | None) -> PlanItem:
        if match_key is not None:
            earlier = self.journal.first_row_with_key(match_key, row)
            if earlier is not None:
                raise RowError(f"the same {self.key_name} as row {earlier}; each key once per file")
        if self.mode == "insert":
            return self._create(row, converted, match_key)
        if match_key is None:
            raise RowError(f"no value in the key column {self.key_name!r}")
        matches = self._find(converted)
        if self.mode == "merge":
            return self._merge(row, converted, matches, match_key)
        if self.mode == "delete":
            if not matches:
                return PlanItem(row, "skip", message="no match: nothing to delete", key=match_key)
            return PlanItem(row, "delete", matches[0]["id"], key=match_key)
        if not matches:
            if self.mode == "update":
                raise RowError(f"no {self.spec.name} with {self.key_name} {match_key!r}")
            return self._create(row, converted, match_key)
        changed, changes = diff(self.spec, self.fields, converted.values, matches[0])
        record_id = matches[0]["id"]
        if not changed:
            return PlanItem(row, "skip", record_id, message="unchanged", key=match_key)
        body = api_body(self.spec, self.fields, changed)
        return PlanItem(row, "update", record_id, body=body, changes=changes, key=match_key)

    @property
    def key_name(self) -> str:
        return self.key.name if self.key else "key"

    def _find(self, converted: ConvertedRow) -> list[dict[str, Any]]:
        assert self.matcher is not None and self.key is not None
        raw = self._key_raw(converted)
        matches = self.matcher.find(raw, converted.values.get(self.key.code))
        if len(matches) > 1:
            ids = ", ".join(str(m.get("id")) for m in matches[:5])
            raise RowError(
                f"{len(matches)} {self.spec.name} match {self.key_name} {str(raw)!r} "
                f"(ids {ids}); make the key unique or match by id"
            )
        return matches

    def _create(self, row: int, converted: ConvertedRow, match_key: str | None) -> PlanItem:
        values = converted.values
        missing = [code for code in self.spec.required if code not in values]
        if missing:
            raise RowError(f"missing required field {', '.join(missing)} to create a record")
        one_of = self.spec.required_one_of
        if one_of and not any(code in values for code in one_of):
            raise RowError(f"a new record needs one of: {', '.join(one_of)}")
        body = api_body(self.spec, self.fields, values)
        names = {f.code: f.name for f in self.fields.fields}
        changes = [Change(code, names.get(code, code), None, new) for code, new in values.items()]
        return PlanItem(row, "create", body=body, changes=changes, key=match_key)

    def _merge(
        self, row: int, converted: ConvertedRow, matches: list[dict[str, Any]], match_key: str
    ) -> PlanItem:
        if not matches:
            raise RowError(f"no {self.spec.name} with {self.key_name} {match_key!r} to merge")
        survivor_raw = converted.control.get("merge_with", converted.control.get("merge_with_id"))
        if survivor_raw is None:
            raise RowError("a merge row needs a merge_with column naming the record to keep")
        assert self.matcher is not None and self.key is not None
        survivor_canonical = survivor_raw
        if self.key.field is not None and self.key.field.field_type == "emails":
            survivor_canonical = [{"value": str(survivor_raw).strip()}]
        survivors = self.matcher.find(survivor_raw, survivor_canonical)
        if len(survivors) != 1:
            what = "no" if not survivors else f"{len(survivors)}"
            raise RowError(f"{what} {self.spec.name} match merge_with {str(survivor_raw)!r}")
        duplicate, keep = matches[0]["id"], survivors[0]["id"]
        if duplicate == keep:
            return PlanItem(row, "skip", duplicate, message="already one record", key=match_key)
        return PlanItem(row, "merge", duplicate, merge_with=keep, key=match_key)


def confirm_landed(item: PlanItem, previous: Previous) -> PlanItem:
    """A write left halfway whose effect is already there counts as applied, once."""
    if item.action != "skip" or previous.action == "create":
        return item
    return PlanItem(
        item.row,
        previous.action,  # type: ignore[arg-type]
        previous.record_id if previous.record_id is not None else item.record_id,
        merge_with=previous.merge_with,
        message="applied by an earlier run (confirmed by read-back)",
        key=item.key,
        status="done",
        parent_id=previous.parent_id if previous.parent_id is not None else item.parent_id,
    )
