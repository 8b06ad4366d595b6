"""Every stream of the catalog checked against Pipedrive's own OpenAPI specs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pdsync.catalog import CATALOG, FIELDS_STREAMS, STREAMS, get_stream
from pdsync.catalog.columns import HASH_SOURCE, ITEM_SOURCE, PARENT_SOURCE
from pdsync.catalog.streams import StreamSpec
from pdsync.errors import ConfigError

SPECS = Path(__file__).resolve().parents[3] / "specs" / "pipedrive-openapi"
REQUIRED = {
    "deals", "persons", "organizations", "activities", "leads", "notes", "products", "files",
    "pipelines", "stages", "users", "activity_types", "lead_labels", "lead_sources", "filters",
    "currencies", "deal_fields", "person_fields", "organization_fields", "product_fields",
    "activity_fields", "note_fields", "deal_products", "deal_participants", "deal_followers",
    "person_followers", "organization_followers", "product_followers", "archived_deals",
    "archived_leads", "organization_relationships", "goals", "roles", "permission_sets",
    "webhooks",
}  # fmt: skip
# Keys Pipedrive sends and documents (migration guide, fact sheet §6) that the OpenAPI
# response schemas leave out; the spec does list pinned_to_lead_flag as a notes filter.
DOCUMENTED_OUTSIDE_SCHEMA = {
    "deals": {"creator_user_id", "archive_time"},
    "archived_deals": {"creator_user_id", "archive_time"},
    "pipelines": {"is_selected"},
    "notes": {"pinned_to_lead_flag"},
}


@pytest.fixture(scope="module")
def specs() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return {
        v: yaml.load((SPECS / f"openapi-{v}.yaml").read_text("utf-8"), Loader=loader)
        for v in ("v1", "v2")
    }


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _properties(spec: dict[str, Any], node: Any) -> dict[str, Any]:
    node = _resolve(spec, node)
    props: dict[str, Any] = {}
    for sub in node.get("allOf", []):
        props.update(_properties(spec, sub))
    props.update(node.get("properties", {}))
    if node.get("type") == "array":
        props.update(_properties(spec, node["items"]))
    return props


def _operation(specs: dict[str, Any], stream: StreamSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = specs[stream.version]
    path = "/" + stream.path
    assert path in spec["paths"], f"{stream.name}: {path} not in the {stream.version} spec"
    operation = spec["paths"][path].get("get")
    assert operation is not None, f"{stream.name}: no GET {path}"
    return spec, operation


def _param_names(spec: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    return {_resolve(spec, p)["name"] for p in operation.get("parameters", [])}


def _record_properties(
    spec: dict[str, Any], operation: dict[str, Any], stream: StreamSpec
) -> dict[str, Any]:
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    node: dict[str, Any] = {"properties": _properties(spec, body)}
    for key in stream.records_path:
        node = {"properties": _properties(spec, node["properties"][key])}
    return node["properties"]


def test_catalog_covers_every_required_stream() -> None:
    assert set(CATALOG) >= REQUIRED
    assert len(CATALOG) == len(STREAMS), "stream names must be unique"


@pytest.mark.parametrize("stream", STREAMS, ids=lambda s: s.name)
def test_path_params_and_pagination_exist_in_the_spec(
    specs: dict[str, Any], stream: StreamSpec
) -> None:
    spec, operation = _operation(specs, stream)
    params = _param_names(spec, operation)
    used = {name for name, _ in stream.params}
    used |= {name for p in stream.passes for name, _ in p.params}
    used |= {name for params in stream.fanout for name, _ in params}
    if stream.incremental:
        inc = stream.incremental
        used |= {inc.since_param, *(n for n, _ in inc.sort)}
        used |= {inc.until_param} if inc.until_param else set()
    if stream.parent and stream.parent.via != "path":
        used.add(stream.parent.via)
    if stream.pagination == "cursor":
        used |= {"cursor", "limit"}
    elif stream.pagination == "offset":
        used |= {"start", "limit"}
    assert used <= params, (
        f"{stream.name}: {sorted(used - params)} not parameters of GET {stream.path}"
    )


@pytest.mark.parametrize("stream", STREAMS, ids=lambda s: s.name)
def test_every_system_column_comes_from_the_response_schema(
    specs: dict[str, Any], stream: StreamSpec
) -> None:
    spec, operation = _operation(specs, stream)
    if all(c.source.startswith("$") for c in stream.columns):
        return  # a list of plain values (permitted users): nothing to find in a schema
    properties = set(_record_properties(spec, operation, stream))
    properties |= DOCUMENTED_OUTSIDE_SCHEMA.get(stream.name, set())
    for column in stream.columns:
        if column.source in (PARENT_SOURCE, HASH_SOURCE, ITEM_SOURCE):
            continue
        if stream.extended and column.name in stream.extended.columns:
            continue  # from the single-record endpoint: test_extended_columns_…
        top = column.source.split(".")[0].split("[")[0]
        assert top in properties, f"{stream.name}.{column.name}: {top!r} not in the response schema"
    assert set(stream.primary_key) <= {c.name for c in stream.columns}
    if stream.incremental:
        assert stream.incremental.cursor_field in properties


@pytest.mark.parametrize("stream", STREAMS, ids=lambda s: s.name)
def test_streams_are_consistent(stream: StreamSpec) -> None:
    assert stream.token_cost is not None and stream.token_cost > 0
    assert stream.scopes, f"{stream.name}: no OAuth scope known"
    assert ("{id}" in stream.path) == (stream.parent is not None and stream.parent.via == "path")
    if stream.mode == "incremental":
        assert stream.incremental is not None or stream.parent is not None
    if stream.parent is not None:
        assert stream.parent.stream in CATALOG
        if stream.parent.key_column:
            assert stream.parent.key_column in {c.name for c in stream.columns}
    if stream.fields_entity:
        assert stream.fields_entity in FIELDS_STREAMS
    assert len({c.name for c in stream.columns}) == len(stream.columns)


def test_v2_is_used_wherever_v2_has_the_list(specs: dict[str, Any]) -> None:
    v2_paths = set(specs["v2"]["paths"])
    for stream in STREAMS:
        if stream.version == "v1":
            assert "/" + stream.path not in v2_paths, f"{stream.name} should use v2"


def test_webhook_passwords_are_never_replicated() -> None:
    assert "http_auth_password" not in {c.name for c in get_stream("webhooks").columns}


def test_unknown_stream_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        get_stream("dealz")
    assert "deals" in err.value.hint


@pytest.mark.parametrize("stream", [s for s in STREAMS if s.extended], ids=lambda s: s.name)
def test_extended_columns_come_from_the_single_record_endpoint(
    specs: dict[str, Any], stream: StreamSpec
) -> None:
    assert stream.extended is not None
    spec = specs[stream.version]
    operation = spec["paths"]["/" + stream.extended.path]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    properties = _properties(spec, body)
    # The spec shows permissionSets/{id} without the `data` envelope the API sends.
    record = _properties(spec, properties["data"]) if "data" in properties else properties
    list_properties = set(_record_properties(spec, _operation(specs, stream)[1], stream))
    for name in stream.extended.columns:
        assert name in record, f"{stream.name}.{name} not returned by GET {stream.extended.path}"
        assert name not in list_properties, f"{stream.name}.{name} is in the list already"
    assert stream.cost_class == "per record"


def test_cost_classes_and_opt_in() -> None:
    assert get_stream("deals").cost_class == "one listing"
    assert get_stream("deal_flow").cost_class == "per parent"
    assert get_stream("filters").cost_class == "per record"
    for stream in STREAMS:
        per_call = stream.parent is not None and not stream.parent.is_batch
        # Every stream that costs a call per changed parent must be asked for by name,
        # except the few-parent ones read whole each time (phases: one call per board).
        if per_call and stream.parent and stream.parent.changed_only:
            assert stream.opt_in, f"{stream.name} costs a call per parent: make it opt_in"


@pytest.mark.parametrize("stream", STREAMS, ids=lambda s: s.name)
def test_page_limit_within_the_documented_upper_limit(
    specs: dict[str, Any], stream: StreamSpec
) -> None:
    spec, operation = _operation(specs, stream)
    for param in operation.get("parameters", []):
        param = _resolve(spec, param)
        if param["name"] != "limit":
            continue
        documented = re.search(r"upper limit is (\d+)", param.get("description", ""))
        maximum = param.get("schema", {}).get("maximum")
        for bound in (int(documented.group(1)) if documented else None, maximum):
            if bound is not None:
                assert stream.page_limit <= bound, f"{stream.name}: limit at most {bound}"
