"""The whole stream catalog against the emulator, through the real client.

For each stream: one page (children: for a few parents), every record normalised
with the account's custom fields, primary key present. Gaps between what the
catalog declares and what the emulator serves show up here first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("pdsync.emulator.server")
pytest.importorskip("pdsync.api.client")

from pdsync.api.client import PipedriveClient
from pdsync.catalog import STREAMS, FieldCatalog, StreamSpec, get_stream
from pdsync.config import Connection
from pdsync.discover import discover, fetch_field_defs
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.history import child_records
from pdsync.sync.normalize import Normalizer

PARENTS_PER_CHILD = 5


@pytest.fixture(scope="module")
def client() -> Iterator[PipedriveClient]:
    config = EmulatorConfig(deals=50, seed=1, rate_limits=False)
    with EmulatorServer(config) as server:
        connection = Connection(api_token=server.config.token, base_url=server.url)
        with PipedriveClient(connection, max_retries=0) as api:
            yield api


@pytest.fixture(scope="module")
def catalogs(client: PipedriveClient) -> dict[str, FieldCatalog]:
    return discover(client).catalogs


def first_page(
    client: PipedriveClient, spec: StreamSpec, path: str, extra: dict[str, Any]
) -> list[dict[str, Any]]:
    params = {**dict(spec.params), **extra}
    if spec.records_path != ("data",):
        body: Any = client.get(path, version=spec.version, params=params)
        for key in spec.records_path:
            body = (body or {}).get(key)
        return list(body or [])
    pages = client.paginate(
        path, version=spec.version, params=params, limit=spec.page_limit, style=spec.pagination
    )
    return next(iter(pages)).items


def read_sample(client: PipedriveClient, spec: StreamSpec) -> list[tuple[dict[str, Any], Any]]:
    """(record, parent id) pairs of one page, or of a few parents' pages."""
    if spec.parent is None:
        extra = dict(spec.fanout[0]) if spec.fanout else {}  # mail threads: one folder
        return [(r, None) for r in first_page(client, spec, spec.path, extra)]
    parent_spec = get_stream(spec.parent.stream)
    parents = first_page(client, parent_spec, parent_spec.path, {})[:PARENTS_PER_CHILD]
    ids = [p[spec.parent.parent_key] for p in parents]
    if spec.parent.is_batch:
        batch = {spec.parent.via: ",".join(map(str, ids))}
        return [
            (r, r.get(spec.parent.key_column or ""))
            for r in first_page(client, spec, spec.path, batch)
        ]
    sample = []
    for parent_id in ids:
        if spec.parent.via == "path":
            records = first_page(client, spec, spec.path.replace("{id}", str(parent_id)), {})
        else:
            records = first_page(client, spec, spec.path, {spec.parent.via: parent_id})
        sample += [(r, parent_id) for r in child_records(spec, records, parent_id)]
    return sample


@pytest.mark.parametrize("spec", STREAMS, ids=lambda s: s.name)
def test_every_record_of_every_stream_normalises(
    client: PipedriveClient, catalogs: dict[str, FieldCatalog], spec: StreamSpec
) -> None:
    fields = catalogs.get(spec.fields_entity) if spec.fields_entity else None
    if spec.fields_entity:
        assert fields is not None, f"no {spec.fields_entity} fields served"
    normalizer = Normalizer(spec, fields)
    sample = read_sample(client, spec)  # every route is served: a 404 fails the test
    for record, parent_id in sample:
        row = normalizer(record, parent_id)
        assert all(row[k] is not None for k in spec.primary_key)
    if fields is not None and sample:
        custom = {c.name for c in fields.columns()}
        filled = {
            k
            for row in map(lambda s: normalizer(*s), sample)
            for k in custom
            if row.get(k) is not None
        }
        assert filled, f"{spec.name}: no custom field value reached a column"


def test_the_core_streams_are_not_empty(client: PipedriveClient) -> None:
    for name in ("deals", "persons", "organizations", "activities", "products", "leads", "notes",
                 "pipelines", "stages", "users", "deal_fields"):  # fmt: skip
        assert read_sample(client, get_stream(name)), f"{name}: the emulator served no records"


@pytest.mark.parametrize("entity", ["deal", "person", "organization", "product"])
def test_every_served_field_type_is_known(client: PipedriveClient, entity: str) -> None:
    catalog = FieldCatalog.build(entity, fetch_field_defs(client, entity))
    assert catalog.custom(), f"the emulator serves no custom {entity} fields"
    assert catalog.unknown_types() == ()


def test_pdsync_discover_shows_custom_fields_with_name_key_and_type() -> None:
    from click.testing import CliRunner

    from pdsync.cli import main

    config = EmulatorConfig(deals=50, seed=1, rate_limits=False)
    with EmulatorServer(config) as server:
        env = {"PIPEDRIVE_API_TOKEN": server.config.token, "PIPEDRIVE_BASE_URL": server.url}
        text = CliRunner().invoke(main, ["discover", "deals"], env=env)
        as_json = CliRunner().invoke(main, ["discover", "--json", "persons"], env=env)
    assert text.exit_code == 0, text.output
    assert "[custom " in text.output and "custom_fields." in text.output
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    custom = [c for c in data["streams"][0]["columns"] if "custom_field" in c]
    assert custom and all(len(c["custom_field"]["key"]) >= 20 for c in custom)
    assert data["fields"]["person"]
