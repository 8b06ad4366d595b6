"""One field mapping for sync, push and events: every name a user may write, one hash key.

The emulated account has fields whose names collide ("Lead source" enum, "Lead-Source",
"lead source"), quotes, dots and emoji. Whatever ``pdsync discover`` shows for a field
— its column, its name, its key — push and events must read as that same field.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from pdsync.catalog import FIELDS_TABLE, FieldCatalog, field_catalog
from pdsync.discover import fetch_field_defs
from pdsync.errors import SchemaError
from pdsync.events_dest.config import build_events_config
from pdsync.events_dest.fields import FieldResolver, api_value
from pdsync.events_dest.model import parse_event
from pdsync.events_dest.outbox import Outbox
from pdsync.events_dest.rules import PipedriveDestination
from pdsync.push import get_object, load_fields
from pdsync.push import values as v

from .conftest import Account, Push


def _discovered(account: Account) -> FieldCatalog:
    """The person fields exactly as `pdsync discover` and sync name them."""
    return field_catalog("person", fetch_field_defs(account.client, "person"))


def test_push_and_events_read_every_discover_name_as_the_same_field(account: Account) -> None:
    catalog = _discovered(account)
    push_fields = load_fields(account.client, get_object("persons"))
    events_fields = FieldResolver(account.client)
    name_counts = Counter(m.name.casefold() for m in catalog.mappings())
    checked = 0
    for field in catalog.custom():
        names = [field.key, *field.column_names]
        if name_counts[field.name.casefold()] == 1:
            names += [field.name, field.name.upper()]
        for name in names:
            pushed = push_fields.resolve(name)
            assert pushed is not None and pushed.code == field.key, name
            evented = events_fields.resolve("persons", name)
            assert evented is not None and evented.key == field.key, name
            checked += 1
    assert checked > 60  # every custom field of the seeded account, several names each


def test_a_name_two_fields_share_is_refused_by_both_with_the_columns_to_use(
    account: Account,
) -> None:
    columns = {m.name: m.column for m in _discovered(account).custom()}
    assert (columns["Lead source"], columns["Lead-Source"]) == ("lead_source", "lead_source_2")
    push_fields = load_fields(account.client, get_object("persons"))
    with pytest.raises(LookupError, match="lead_source, lead_source_3"):
        push_fields.resolve("LEAD SOURCE")
    with pytest.raises(SchemaError) as err:
        FieldResolver(account.client).resolve("persons", "LEAD SOURCE")
    assert "lead_source, lead_source_3" in err.value.hint


def test_option_labels_become_the_same_ids_in_sync_push_and_events(account: Account) -> None:
    catalog = _discovered(account)
    tier = catalog.resolve('Customer "tier"')
    assert tier is not None
    gold = next(i for i, label in tier.options.items() if label == "Gold")
    assert catalog.from_names({tier.column: "gold"}) == {tier.key: gold}
    assert v.to_option(" GOLD ", tier.options, tier.name) == gold
    assert api_value(catalog, tier, "Gold") == gold
    with pytest.raises(v.RowError, match="allowed: Gold, Silver, Bronze, Pewter"):
        v.to_option("Platinum", tier.options, tier.name)
    with pytest.raises(SchemaError, match="allowed: Gold, Silver, Bronze, Pewter"):
        api_value(catalog, tier, "Platinum")


def test_push_and_events_write_a_collided_column_to_its_own_field(
    account: Account, push: Push, tmp_path: Path
) -> None:
    catalog = _discovered(account)
    second = catalog.resolve("lead_source_2")
    assert second is not None and second.name == "Lead-Source"
    result, items = push("persons", [{"name": "Col Lision", "lead_source_2": "via push"}])
    assert result.applied == 1, items[0].message
    person_id = items[0].record_id
    assert account.get(f"persons/{person_id}")["custom_fields"][second.key] == "via push"

    config = build_events_config(
        {"mappings": {"persons": {"src": "lead_source_2", "tier": "customer_tier"}}},
        base=tmp_path,
    )
    dest = PipedriveDestination(account.client, config, Outbox(tmp_path / "o.db"))
    event = {
        "type": "identify",
        "userId": "u-1",
        "traits": {"src": "via events", "tier": "Silver"},
        "context": {"externalId": [{"type": "person_id", "id": person_id}]},
    }
    dest.deliver(parse_event(event))
    custom = account.get(f"persons/{person_id}")["custom_fields"]
    tier = catalog.resolve("customer_tier")
    assert tier is not None
    assert custom[second.key] == "via events"
    assert tier.options[custom[tier.key]] == "Silver"


def _replica_with_mappings(path: Path, catalog: FieldCatalog, renamed_key: str) -> None:
    """A replica whose sync froze one field's column under its earlier name."""
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE {FIELDS_TABLE.name} ({', '.join(FIELDS_TABLE.column_names)})")
        for mapping in catalog.mappings():
            row = mapping.to_row()
            if mapping.key == renamed_key:
                row |= {"name": "Old code", "column": "old_code"}
            row["options"] = json.dumps(row["options"])
            db.execute(
                f"INSERT INTO {FIELDS_TABLE.name} VALUES ({', '.join('?' * len(row))})",
                [row[c] for c in FIELDS_TABLE.column_names],
            )
        db.execute("CREATE TABLE persons (id INTEGER, name TEXT, old_code TEXT)")


def test_with_a_replica_push_reads_the_columns_it_froze_before_a_rename(
    account: Account, push: Push, tmp_path: Path
) -> None:
    code = account.field_code("person", "Account code")
    replica = tmp_path / "pipedrive.db"
    _replica_with_mappings(replica, _discovered(account), code)
    row = {"id": "10", "old_code": "FROZEN-1"}
    result, items = push("persons", [row], mode="update", replica=f"sqlite:///{replica}")
    assert result.applied == 1, items[0].message
    assert account.get("persons/10")["custom_fields"][code] == "FROZEN-1"
    _, without = push("persons", [row], mode="update")
    assert without[0].action == "error" and "unknown column 'old_code'" in without[0].message
