"""The conformance suite every destination must pass.

Use it by subclassing :class:`DestinationConformance` in ``test_<destination>.py`` and
providing a ``destination_factory`` fixture: a callable that opens (``readonly=False``
by default) the SAME fresh target each time it is called, so tests can close and reopen.
See ``test_sqlite.py``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdsync.destinations import Batch, Destination, FieldRecord
from pdsync.destinations.identifiers import quote
from pdsync.errors import DestinationError, PdsyncError
from pdsync.schema import DELETED_AT, SYNCED_AT, Column, TableSchema
from pdsync.sync.state import StreamState
from pdsync.textrepair import repair_text

Factory = Callable[..., Destination]

DEALS = TableSchema(
    "deals",
    (
        Column("id", "integer"),
        Column("title", "text"),
        Column("value", "real"),
        Column("update_time", "timestamp"),
    ),
    cursor="update_time",
)
DEALS_WITH_CUSTOM = DEALS.with_columns((Column("budget_code", "text"),))

AWFUL_NAMES = [
    'say "hi"',
    "a;b; DROP TABLE deals;--",
    "dotted.name",
    "with space",
    "select",
    "order",
    "🚀 launch",
    "x" * 200,
    "Case",
    "case",
    "'single'",
    "back`tick",
    "[bracket]",
    "50% off?",
    "xmax",  # a PostgreSQL system column name
    "rowid",  # SQLite's and DuckDB's row id alias
    "oid",
]

SYNCED = "2024-06-01T00:00:00Z"
_TABLE_IDS = itertools.count()


def deal(i: int, title: str = "t", **extra: Any) -> dict[str, Any]:
    return {"id": i, "title": f"{title}{i}", "value": i * 1.5, "update_time": SYNCED, **extra}


def rows_of(
    dest: Destination, table: str, columns: list[str], order: str = "id"
) -> list[tuple[Any, ...]]:
    cols = ", ".join(quote(c) for c in columns)
    rows = dest.query(f"SELECT {cols} FROM {quote(table)} ORDER BY {quote(order)}")
    return [tuple(_as_text(v) for v in row) for row in rows]


def _as_text(value: Any) -> Any:
    """Typed databases return instants as datetimes; SQLite keeps the ISO text rows carry."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    return value


def state(bookmark: str, stream: str = "deals") -> dict[str, StreamState]:
    return {stream: StreamState(stream, cursor_field="update_time", bookmark=bookmark)}


class DestinationConformance:
    @pytest.fixture
    def dest(self, destination_factory: Factory) -> Iterator[Destination]:
        destination = destination_factory()
        yield destination
        destination.close()

    # -- schema ------------------------------------------------------------------------

    def test_ensure_table_creates_with_bookkeeping_columns(self, dest: Destination) -> None:
        effective = dest.ensure_table(DEALS)
        assert dest.tables() == ["deals"]
        columns = dest.table_columns("deals")
        assert columns[:4] == ["id", "title", "value", "update_time"]
        assert SYNCED_AT in columns and DELETED_AT in columns
        assert effective.column_names == tuple(columns)
        assert effective.primary_key == ("id",)

    def test_new_column_is_added_and_never_dropped(self, dest: Destination) -> None:
        dest.write_batch(Batch("deals", DEALS_WITH_CUSTOM, [deal(1, budget_code="B7")]))
        dest.ensure_table(DEALS)  # the custom field disappeared from Pipedrive
        dest.write_batch(Batch("deals", DEALS, [deal(1, title="new")]))
        assert rows_of(dest, "deals", ["title", "budget_code"]) == [("new1", "B7")]
        wider = DEALS_WITH_CUSTOM.with_columns((Column("later", "integer"),))
        dest.write_batch(Batch("deals", wider, [deal(2, later=5)]))
        assert rows_of(dest, "deals", ["id", "later"]) == [(1, None), (2, 5)]

    def test_primary_key_change_is_refused(self, dest: Destination) -> None:
        dest.ensure_table(DEALS)
        other_key = TableSchema("deals", DEALS.columns, primary_key=("title",))
        with pytest.raises(PdsyncError, match="primary key"):
            dest.ensure_table(other_key)

    # -- merge ---------------------------------------------------------------------------

    def test_merge_counts_inserted_and_updated(self, dest: Destination) -> None:
        first = dest.write_batch(Batch("deals", DEALS, [deal(1), deal(2)]))
        second = dest.write_batch(Batch("deals", DEALS, [deal(2, "u"), deal(3), deal(3, "again")]))
        assert (first.inserted, first.updated) == (2, 0)
        assert (second.inserted, second.updated) == (1, 1)
        assert rows_of(dest, "deals", ["id", "title"]) == [(1, "t1"), (2, "u2"), (3, "again3")]

    def test_merge_twice_equals_once(self, dest: Destination) -> None:
        batch = Batch("deals", DEALS, [deal(i) for i in range(50)], state=state(SYNCED))
        dest.write_batch(batch)
        once = rows_of(dest, "deals", dest.table_columns("deals"))
        again = dest.write_batch(batch)
        assert rows_of(dest, "deals", dest.table_columns("deals")) == once
        assert (again.inserted, again.updated) == (0, 50)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        batches=st.lists(
            st.lists(
                # Any code point, NUL and lone surrogates included: they are stored repaired
                # (U+FFFD), never crash a batch (pdsync.textrepair).
                st.tuples(
                    st.integers(0, 8),
                    st.text(st.characters(codec=None), max_size=5) | st.none(),
                ),
                max_size=12,
            ),
            min_size=1,
            max_size=4,
        )
    )
    def test_merge_is_last_write_wins_and_idempotent(
        self, dest: Destination, batches: list[list[tuple[int, str | None]]]
    ) -> None:
        table = f"prop_{next(_TABLE_IDS)}"  # a fresh table per example
        schema = TableSchema(table, (Column("id", "integer"), Column("title", "text")))
        model: dict[int, str | None] = {}
        for rows in batches:
            batch = Batch(table, schema, [{"id": i, "title": t} for i, t in rows])
            dest.write_batch(batch)
            dest.write_batch(batch)
            model.update({i: None if t is None else repair_text(t) for i, t in rows})
        if model:
            assert rows_of(dest, table, ["id", "title"]) == sorted(model.items())

    def test_text_that_is_not_valid_unicode_is_stored_repaired(self, dest: Destination) -> None:
        # Lone surrogates (JSON "\ud800" escapes decode to them) and NUL, in text, in a
        # custom field's column and inside JSON (keys too): stored with U+FFFD, nothing lost.
        schema = DEALS_WITH_CUSTOM.with_columns((Column("data", "json"),))
        bad = [
            deal(1, title="a\ud800b", budget_code="\x00B7", data={"k\udfff": ["x\x00y", 2]}),
            deal(2, title="\ud83d\ude00", budget_code="ok", data=["\udc00"]),
            deal(3, title="fine", budget_code=None, data={"plain": "é"}),
        ]
        result = dest.write_batch(Batch("deals", schema, bad, state=state(SYNCED)))
        assert result.inserted == 3
        got = [
            (i, t, b, json.loads(d) if isinstance(d, str) else d)
            for i, t, b, d in rows_of(dest, "deals", ["id", "title", "budget_code", "data"])
        ]
        assert got == [
            (1, "a\ufffdb1", "\ufffdB7", {"k\ufffd": ["x\ufffdy", 2]}),
            (2, "\U0001f6002", "ok", ["\ufffd"]),  # a pair written as two code points: joined
            (3, "fine3", None, {"plain": "é"}),
        ]
        assert dest.read_state().get("deals").bookmark == SYNCED

    # -- append & replace --------------------------------------------------------------

    def test_append_inserts_and_refuses_duplicate_keys_atomically(self, dest: Destination) -> None:
        dest.write_batch(Batch("deals", DEALS, [deal(1)], mode="append", state=state(SYNCED)))
        bad = Batch(
            "deals",
            DEALS,
            [deal(2), deal(1)],
            mode="append",
            state=state("2024-07-01T00:00:00Z"),
        )
        with pytest.raises(DestinationError):
            dest.write_batch(bad)
        assert rows_of(dest, "deals", ["id"]) == [(1,)]
        assert dest.read_state().get("deals").bookmark == SYNCED

    def test_replace_swaps_at_commit_with_state(self, dest: Destination) -> None:
        dest.write_batch(Batch("deals", DEALS, [deal(1), deal(2)]))
        dest.write_batch(Batch("deals", DEALS, [deal(10)], mode="replace_begin"))
        dest.write_batch(Batch("deals", DEALS, [deal(11)], mode="replace_rows"))
        assert rows_of(dest, "deals", ["id"]) == [(1,), (2,)]  # live table untouched so far
        dest.write_batch(
            Batch("deals", DEALS, [deal(12)], mode="replace_commit", state=state(SYNCED))
        )
        assert rows_of(dest, "deals", ["id"]) == [(10,), (11,), (12,)]
        assert dest.read_state().get("deals").bookmark == SYNCED
        assert dest.tables() == ["deals"]

    def test_refresh_counts_against_the_live_table(self, dest: Destination) -> None:
        def refresh(ids: list[int]) -> list[tuple[int, int, int]]:
            results = [
                dest.write_batch(
                    Batch("deals", DEALS, [deal(i) for i in ids[:1]], mode="replace_begin")
                ),
                dest.write_batch(
                    Batch("deals", DEALS, [deal(i) for i in ids[1:]], mode="replace_rows")
                ),
                dest.write_batch(Batch("deals", DEALS, [], mode="replace_commit")),
            ]
            return [(r.inserted, r.updated, r.marked_deleted) for r in results]

        # The staged batches change nothing live; the commit counts against the live table.
        assert refresh([1, 2, 3]) == [(0, 0, 0), (0, 0, 0), (3, 0, 0)]
        assert refresh([1, 2, 3]) == [(0, 0, 0), (0, 0, 0), (0, 3, 0)]
        dest.write_batch(Batch("deals", DEALS, deleted_ids=[3]))  # already marked: not re-counted
        assert refresh([2, 4, 5]) == [(0, 0, 0), (0, 0, 0), (2, 1, 1)]
        assert rows_of(dest, "deals", ["id"]) == [(2,), (4,), (5,)]
        assert refresh([]) == [(0, 0, 0), (0, 0, 0), (0, 0, 3)]
        assert dest.count("deals") == 0

    def test_crash_mid_replace_leaves_old_table(self, destination_factory: Factory) -> None:
        dest = destination_factory()
        dest.write_batch(Batch("deals", DEALS, [deal(1)], state=state(SYNCED)))
        dest.write_batch(Batch("deals", DEALS, [deal(10)], mode="replace_begin"))
        dest.close()  # the process dies before replace_commit
        dest = destination_factory()
        assert rows_of(dest, "deals", ["id"]) == [(1,)]
        assert dest.read_state().get("deals").bookmark == SYNCED
        dest.write_batch(Batch("deals", DEALS, [deal(20)], mode="replace_begin"))
        dest.write_batch(Batch("deals", DEALS, [], mode="replace_commit"))
        assert rows_of(dest, "deals", ["id"]) == [(20,)]  # the leftover staging row is gone
        dest.close()

    def test_replace_rows_without_begin_is_refused(self, dest: Destination) -> None:
        dest.ensure_table(DEALS)
        with pytest.raises(DestinationError, match="replace_begin"):
            dest.write_batch(Batch("deals", DEALS, [deal(1)], mode="replace_rows"))

    # -- deletes -----------------------------------------------------------------------

    def test_deletes_are_marked_never_stubbed(self, dest: Destination) -> None:
        dest.write_batch(Batch("deals", DEALS, [deal(1), deal(2)]))
        marked = "2024-06-02T00:00:00Z"
        result = dest.write_batch(Batch("deals", DEALS, deleted_ids=[2, 99], deleted_at=marked))
        assert result.marked_deleted == 1
        assert rows_of(dest, "deals", ["id", "title", DELETED_AT]) == [
            (1, "t1", None),
            (2, "t2", marked),  # the row keeps its data
        ]
        again = dest.write_batch(Batch("deals", DEALS, deleted_ids=[2], deleted_at=SYNCED))
        assert again.marked_deleted == 0  # the first deletion time is kept
        assert dest.count("deals") == 2 and dest.count("deals", include_deleted=False) == 1

    def test_a_row_that_reappears_is_undeleted(self, dest: Destination) -> None:
        dest.write_batch(Batch("deals", DEALS, [deal(1)]))
        dest.write_batch(Batch("deals", DEALS, deleted_ids=[1]))
        dest.write_batch(Batch("deals", DEALS, [deal(1, "back")]))
        assert rows_of(dest, "deals", ["title", DELETED_AT]) == [("back1", None)]

    def test_composite_keys(self, dest: Destination) -> None:
        schema = TableSchema(
            "deal_products",
            (Column("deal_id", "integer"), Column("product_id", "integer"), Column("qty", "real")),
            primary_key=("deal_id", "product_id"),
        )
        rows = [{"deal_id": 1, "product_id": p, "qty": p} for p in (1, 2)]
        dest.write_batch(Batch("deal_products", schema, rows))
        result = dest.write_batch(
            Batch(
                "deal_products",
                schema,
                [{"deal_id": 1, "product_id": 2, "qty": 9}],
                deleted_ids=[(1, 1)],
            )
        )
        assert (result.inserted, result.updated, result.marked_deleted) == (0, 1, 1)
        got = rows_of(dest, "deal_products", ["product_id", "qty"], order="product_id")
        assert got == [(1, 1.0), (2, 9.0)]

    # -- state atomicity ---------------------------------------------------------------

    def test_failed_batch_persists_nothing(self, dest: Destination) -> None:
        dest.write_batch(Batch("deals", DEALS, [deal(1), deal(2)], state=state(SYNCED)))
        broken = Batch(
            "deals",
            DEALS_WITH_CUSTOM,
            [deal(3, budget_code="x"), {"id": None, "title": "no key"}],
            deleted_ids=[1],
            state=state("2024-09-09T00:00:00Z"),
            field_mappings=[FieldRecord("deal", "abc", "Budget", "varchar", "budget_code")],
        )
        with pytest.raises(PdsyncError):
            dest.write_batch(broken)
        assert rows_of(dest, "deals", ["id", DELETED_AT]) == [(1, None), (2, None)]
        assert dest.read_state().get("deals").bookmark == SYNCED
        assert dest.read_fields() == []
        assert "budget_code" not in dest.table_columns("deals")  # the DDL rolled back too
        dest.write_batch(Batch("deals", DEALS_WITH_CUSTOM, [deal(3, budget_code="y")]))
        assert rows_of(dest, "deals", ["id", "budget_code"])[-1] == (3, "y")

    def test_rows_with_unknown_columns_are_refused(self, dest: Destination) -> None:
        with pytest.raises(PdsyncError, match="surprise"):
            dest.write_batch(Batch("deals", DEALS, [deal(1, surprise=1)]))
        assert dest.read_state().streams == {}

    def test_state_survives_reopen(self, destination_factory: Factory) -> None:
        dest = destination_factory()
        st_ = StreamState("deals", "update_time", bookmark=SYNCED, last_reconciled_at=SYNCED)
        dest.write_batch(Batch("deals", DEALS, [deal(1)], state={"deals": st_}))
        dest.close()
        dest = destination_factory()
        assert dest.read_state().get("deals") == st_
        assert dest.read_state().get("persons") == StreamState("persons")
        dest.close()

    # -- identifiers ------------------------------------------------------------------

    def test_awful_identifiers(self, destination_factory: Factory) -> None:
        columns = (Column("id", "integer"), *(Column(n, "text") for n in AWFUL_NAMES))
        schema = TableSchema('weird table; "quoted" 🚀', columns)
        row = {"id": 1, **{n: f"v{i}" for i, n in enumerate(AWFUL_NAMES)}}
        dest = destination_factory()
        effective = dest.ensure_table(schema)
        dest.write_batch(Batch("weird", schema, [row]))
        physical = effective.column_names[1 : 1 + len(AWFUL_NAMES)]
        assert len({p.lower() for p in physical}) == len(AWFUL_NAMES)  # Case/case both kept
        assert rows_of(dest, schema.name, list(physical)) == [tuple(row[n] for n in AWFUL_NAMES)]
        dest.close()
        dest = destination_factory()  # the logical -> physical mapping is persistent
        dest.write_batch(Batch("weird", schema, [{**row, "case": "changed"}]))
        assert "changed" in rows_of(dest, schema.name, list(physical))[0]
        assert rows_of(dest, schema.name, list(physical))[0].count("changed") == 1
        dest.close()

    # -- field mappings ----------------------------------------------------------------

    def test_field_mappings_upsert_keeps_column_and_first_seen(self, dest: Destination) -> None:
        first = FieldRecord(
            "deal", "h4sh", "Budget", "enum", "budget", options=[{"id": 1, "label": "A"}]
        )
        dest.write_batch(Batch("deals", DEALS, field_mappings=[first], synced_at=SYNCED))
        renamed = FieldRecord(
            "deal",
            "h4sh",
            "Budget code",
            "enum",
            "budget_code",
            options=[{"id": 2, "label": "B"}],
            deleted=True,
        )
        dest.write_batch(
            Batch("deals", DEALS, field_mappings=[renamed], synced_at="2025-01-01T00:00:00Z")
        )
        other = FieldRecord("person", "k", "Tier", "varchar", "tier")
        dest.write_batch(Batch("persons", DEALS, field_mappings=[other]))
        (got,) = dest.read_fields("deal")
        assert (got.name, got.column, got.first_seen, got.deleted) == (
            "Budget code",
            "budget",
            SYNCED,
            True,
        )
        assert got.options == [{"id": 2, "label": "B"}]
        assert {f.entity for f in dest.read_fields()} == {"deal", "person"}

    # -- reading -------------------------------------------------------------------------

    def test_query_and_count(self, dest: Destination) -> None:
        dest.write_batch(Batch("deals", DEALS, [deal(i) for i in range(5)]))
        result = dest.query(f"SELECT id, title FROM deals WHERE id >= {3} ORDER BY id")
        assert result.columns == ["id", "title"]
        assert list(result) == [(3, "t3"), (4, "t4")]
        assert dest.count("deals") == 5
        with pytest.raises(DestinationError):
            dest.query("SELECT nope FROM nowhere")
