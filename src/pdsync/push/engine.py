"""``run_push``: plan every row, confirm deletes, then apply — the library behind ``pdsync push``.

Two passes over the journal, one over the input: planning reads (fields, matches,
current records) and records a decision per row; applying sends the writes in input
order. A dry run stops after planning and makes no write call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pdsync.catalog.fields import FieldMapping
from pdsync.errors import ConfigError, PushError
from pdsync.fieldmap import load_catalog
from pdsync.push.api import PushClient
from pdsync.push.apply import Applier
from pdsync.push.convert import ConvertOptions, RowConverter
from pdsync.push.fields import FieldSet
from pdsync.push.inputs import InputRow
from pdsync.push.journal import Journal
from pdsync.push.link_apply import LinkApplier
from pdsync.push.link_planner import LinkPlanner
from pdsync.push.links import Children
from pdsync.push.match import Matcher, resolve_key
from pdsync.push.objects import ObjectSpec, check_mode, get_object
from pdsync.push.plan import PlanItem, PlanSummary
from pdsync.push.planner import Planner
from pdsync.push.relations import RelationLookups
from pdsync.push.replica import Replica
from pdsync.push.values import DateOrder

_COMMIT_EVERY = 200  # planned rows per journal commit (plans are cheap to redo)


@dataclass(frozen=True)
class PushOptions:
    object_name: str
    mode: str = "insert"
    key: str | None = None  # field to match on; defaults to id for every mode but insert
    mappings: Mapping[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    dry_run: bool = False
    create_missing: bool = False
    replica: str | None = None  # sqlite:///pipedrive.db
    date_order: DateOrder | None = None
    yes: bool = False  # deletes and merges confirmed up front


@dataclass
class PushResult:
    planned: PlanSummary
    applied: int = 0
    failed: int = 0
    dry_run: bool = False

    @property
    def errors(self) -> int:
        return self.planned.counts.get("error", 0)


def load_fields(
    client: PushClient, spec: ObjectSpec, previous: Iterable[FieldMapping] = ()
) -> FieldSet:
    """The object's system fields plus the account's fields, through the catalog's mapping.

    Custom fields answer to the column names ``pdsync discover`` and the replica use
    (collisions get the same ``_2`` suffixes there and here); ``previous`` are the
    mappings a replica stored, so columns frozen before a rename keep working.
    """
    entity = spec.fields_entity
    catalog = load_catalog(client, entity, previous) if entity else None
    return FieldSet.for_object(spec, catalog)


def run_push(
    client: PushClient,
    rows: Iterable[InputRow],
    options: PushOptions,
    journal: Journal,
    *,
    confirm: Callable[[int, str], bool] | None = None,
    on_plan: Callable[[PlanItem], None] | None = None,
    on_apply: Callable[[PlanItem], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> PushResult:
    spec = get_object(options.object_name)
    mode = check_mode(spec, options.mode)
    replica = Replica(options.replica) if options.replica else None
    try:
        planner = _planner(client, spec, mode, options, journal, replica)
        journal.bind(object=spec.name, mode=mode, key=planner.key.code if planner.key else "")
        result = PushResult(PlanSummary(), dry_run=options.dry_run)
        for count, row in enumerate(rows, start=1):
            item = planner.plan(row)
            result.planned.add(item.action)
            if on_plan is not None:
                on_plan(item)
            if count % _COMMIT_EVERY == 0:
                journal.commit()
        journal.commit()
        if options.dry_run:
            return result
        _confirm_destructive(journal, spec, options, confirm)
        applier = (LinkApplier if spec.link else Applier)(client, spec, journal, clock)
        for item in journal.items(pending_only=True):
            done = applier.apply(item)
            result.applied += done.status == "done"
            result.failed += done.status == "failed"
            if on_apply is not None:
                on_apply(done)
        return result
    finally:
        if replica is not None:
            replica.close()


def _planner(
    client: PushClient,
    spec: ObjectSpec,
    mode: Any,
    options: PushOptions,
    journal: Journal,
    replica: Replica | None,
) -> Planner | LinkPlanner:
    previous = replica.field_mappings(spec.fields_entity) if replica and spec.fields_entity else ()
    fields = load_fields(client, spec, previous)
    lookups = RelationLookups(
        client, replica=replica, create_missing=options.create_missing, dry_run=options.dry_run
    )
    convert_options = ConvertOptions(options.date_order, dict(options.mappings), options.ignore)
    converter = RowConverter(spec, fields, lookups, convert_options)
    if spec.link is not None:
        _no_key_for_links(spec, options.key)
        return LinkPlanner(spec, fields, converter, mode, journal, Children(client, spec))
    key_name = options.key or (None if mode == "insert" else "id")
    key = resolve_key(spec, fields, key_name, replica) if key_name else None
    matcher = Matcher(client, spec, fields, key, replica) if key and mode != "insert" else None
    return Planner(client, spec, fields, converter, mode, journal, key, matcher)


def _no_key_for_links(spec: ObjectSpec, key: str | None) -> None:
    link = spec.link
    if key is None or link is None:
        return
    raise ConfigError(
        f"{spec.name} are always matched on their {link.parent} and {link.target}; "
        f"--key {key} does not apply.",
        hint="Leave --key out; name the pair in the row's columns.",
    )


def _confirm_destructive(
    journal: Journal,
    spec: ObjectSpec,
    options: PushOptions,
    confirm: Callable[[int, str], bool] | None,
) -> None:
    for action in ("delete", "merge"):
        count = journal.count(action)
        if count == 0 or options.yes:
            continue
        if confirm is None or not confirm(count, action):
            raise PushError(
                f"Nothing was written: {count} {spec.name} to {action} were not confirmed.",
                hint="Review the plan with --dry-run, then pass --yes (or answer y at the prompt).",
            )
