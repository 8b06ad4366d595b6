"""Decide, row by row, what a push of links does: deal products, participants, followers.

A row names a parent record (deal, person, organization, product — by id or natural
key) and the linked item (product, person or user). The pair is the match key, so it
may appear once per file (deal products in insert mode excepted: attaching the same
product twice is allowed).

insert  participants, followers: add, or skip when already there (Pipedrive would
        answer 400). Deal products: attach, always.
upsert  participants, followers: as insert. Deal products: update the one attachment
        of that product (only the fields that differ), or attach it when there is none.
update  deal products only: as upsert, but no attachment is a row error.
delete  remove the link; none is a skip (already gone).

An attachment found twice on one deal is a row error for update, upsert and delete,
never a guess.
"""

from __future__ import annotations

from typing import Any

from pdsync.push.convert import ConvertedRow, RowConverter
from pdsync.push.fields import FieldSet
from pdsync.push.inputs import InputRow
from pdsync.push.journal import Journal, Previous
from pdsync.push.links import Children, find_link_created, link_of, parent_noun
from pdsync.push.objects import Mode, ObjectSpec
from pdsync.push.payload import Change, same
from pdsync.push.plan import PlanItem
from pdsync.push.planner import confirm_landed
from pdsync.push.values import RowError


class LinkPlanner:
    key = None  # links are always matched on (parent, item); --key does not apply

    def __init__(
        self,
        spec: ObjectSpec,
        fields: FieldSet,
        converter: RowConverter,
        mode: Mode,
        journal: Journal,
        children: Children,
    ) -> None:
        self.spec = spec
        self.link = link_of(spec)
        self.fields = fields
        self.converter = converter
        self.mode = mode
        self.journal = journal
        self.children = children
        self._names = {f.code: f.name for f in fields.fields}

    def plan(self, row: InputRow) -> PlanItem:
        """The plan for one row, saved in the journal."""
        row_hash = row.fingerprint()
        previous = self.journal.previous(row.number)
        if previous is not None and previous.row_hash != row_hash:
            previous = None  # another row now has this number: plan it from scratch
        if previous is not None and previous.status == "done":
            self.journal.keep(row.number, None)
            return PlanItem(
                row.number,
                "skip",
                previous.record_id,
                message=f"already applied by an earlier run ({previous.action})",
                status="done",
                parent_id=previous.parent_id,
            )
        match_key: str | None = None
        try:
            converted = self.converter.convert(row)
            parent_id, target_id = self._pair(converted)
            match_key = f"{self.link.parent}={parent_id} {self.link.target}={target_id}"
            item = self._recover(row.number, previous, parent_id, match_key)
            if item is None:
                item = self._decide(row.number, converted, parent_id, target_id, match_key)
        except RowError as exc:
            item = PlanItem(row.number, "error", message=str(exc))
        if previous is not None and previous.status == "sending":
            item = confirm_landed(item, previous)
        self.journal.save(item, row_hash, match_key)
        return item

    def _pair(self, converted: ConvertedRow) -> tuple[Any, Any]:
        values = converted.values
        parent, target = self.link.parent, self.link.target
        missing = [code for code in (parent, target) if values.get(code) is None]
        if missing:
            names = " and ".join(self._names.get(code, code) for code in missing)
            raise RowError(f"a {self.link.noun} row needs a {names} column with a value")
        return values[parent], values[target]

    def _recover(
        self, row: int, previous: Previous | None, parent_id: Any, match_key: str
    ) -> PlanItem | None:
        """A create left halfway: read back whether it landed before planning it again."""
        if previous is None or previous.status != "sending" or previous.action != "create":
            return None
        if previous.body is None or previous.sent_at is None:
            return None
        found = find_link_created(
            self.children,
            parent_id,
            previous.body,
            previous.sent_at,
            claimed=lambda cid: self.journal.is_claimed(cid, row, parent_id),
        )
        if found is None:
            return None
        return PlanItem(
            row,
            "create",
            found,
            body=previous.body,
            message="created by an earlier run (found by read-back)",
            key=match_key,
            status="done",
            parent_id=parent_id,
        )

    def _decide(
        self, row: int, converted: ConvertedRow, parent_id: Any, target_id: Any, match_key: str
    ) -> PlanItem:
        attach_always = self.link.has_values and self.mode == "insert"
        if not attach_always:
            earlier = self.journal.first_row_with_key(match_key, row)
            if earlier is not None:
                raise RowError(f"the same {self._pair_text()} as row {earlier}; each pair once")
        if attach_always:
            return self._create(row, converted, parent_id, match_key)
        matches = self.children.matching(parent_id, target_id)
        if len(matches) > 1 and (self.link.has_values or self.mode == "delete"):
            ids = ", ".join(str(m.get(self.link.id_field)) for m in matches[:5])
            raise RowError(
                f"{parent_noun(self.link)} #{parent_id} has {len(matches)} {self.link.noun}s "
                f"for {self.link.target} {target_id} (ids {ids}); change them in Pipedrive"
            )
        found = matches[0] if matches else None
        found_id = found.get(self.link.id_field) if found else None
        if self.mode == "delete":
            if found is None:
                return self._skip(row, None, parent_id, match_key, "not there: nothing to delete")
            return PlanItem(row, "delete", found_id, key=match_key, parent_id=parent_id)
        if found is None:
            if self.mode == "update":
                raise RowError(
                    f"{parent_noun(self.link)} #{parent_id} has no such {self.link.noun}"
                )
            return self._create(row, converted, parent_id, match_key)
        if not self.link.has_values:
            return self._skip(row, found_id, parent_id, match_key, f"already a {self.link.noun}")
        return self._update(row, converted, found, parent_id, match_key)

    def _pair_text(self) -> str:
        return f"{parent_noun(self.link)} and {self._names.get(self.link.target, self.link.target)}"

    def _skip(self, row: int, found: Any, parent_id: Any, key: str, why: str) -> PlanItem:
        return PlanItem(row, "skip", found, message=why, key=key, parent_id=parent_id)

    def _create(
        self, row: int, converted: ConvertedRow, parent_id: Any, match_key: str
    ) -> PlanItem:
        body = {k: v for k, v in converted.values.items() if k != self.link.parent}
        missing = [code for code in self.spec.required if code not in body]
        if missing:
            raise RowError(f"missing required field {', '.join(missing)} to add a {self.link.noun}")
        changes = [Change(c, self._names.get(c, c), None, v) for c, v in converted.values.items()]
        return PlanItem(
            row, "create", body=body, changes=changes, key=match_key, parent_id=parent_id
        )

    def _update(
        self,
        row: int,
        converted: ConvertedRow,
        found: dict[str, Any],
        parent_id: Any,
        match_key: str,
    ) -> PlanItem:
        found_id = found.get(self.link.id_field)
        pair = (self.link.parent, self.link.target)
        changed = {
            code: new
            for code, new in converted.values.items()
            if code not in pair and not same(new, found.get(code))
        }
        if not changed:
            return self._skip(row, found_id, parent_id, match_key, "unchanged")
        changes = [Change(c, self._names.get(c, c), found.get(c), v) for c, v in changed.items()]
        return PlanItem(
            row,
            "update",
            found_id,
            body=changed,
            changes=changes,
            key=match_key,
            parent_id=parent_id,
        )
