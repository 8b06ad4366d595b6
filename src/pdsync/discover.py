"""What ``pdsync discover`` shows: every stream, its table and its custom fields.

:func:`discover` reads the ``*Fields`` endpoints through the client (one call per
entity, two for ~500+ fields) and builds each selected stream's table schema;
without a client it describes the catalog alone (system columns only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pdsync.catalog.fields import FieldCatalog, FieldMapping
from pdsync.catalog.registry import CATALOG, FIELDS_STREAMS, get_stream
from pdsync.catalog.streams import StreamSpec
from pdsync.catalog.tables import field_catalog, table_schema
from pdsync.errors import ForbiddenError
from pdsync.schema import TableSchema

if TYPE_CHECKING:
    from pdsync.api.client import PipedriveClient

__all__ = ["Discovery", "StreamInfo", "discover", "fetch_field_defs", "stream_dict"]


@dataclass(frozen=True)
class StreamInfo:
    stream: StreamSpec
    table: TableSchema
    fields: FieldCatalog | None


@dataclass(frozen=True)
class Discovery:
    streams: tuple[StreamInfo, ...]
    catalogs: dict[str, FieldCatalog]  # entity -> its field mappings
    offline: bool
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "offline": self.offline,
            "warnings": list(self.warnings),
            "streams": [stream_dict(i.stream, i.table, i.fields) for i in self.streams],
            "fields": {
                entity: [m.to_row() for m in catalog.custom()]
                for entity, catalog in self.catalogs.items()
            },
        }


def fetch_field_defs(client: PipedriveClient, entity: str) -> list[dict[str, Any]]:
    """Every field definition of ``entity`` (v2 shape where v2 has the endpoint)."""
    spec = get_stream(FIELDS_STREAMS[entity])
    return list(
        client.iter_items(
            spec.path, version=spec.version, limit=spec.page_limit, style=spec.pagination
        )
    )


def discover(
    client: PipedriveClient | None,
    streams: Iterable[str] | None = None,
    *,
    previous: Mapping[str, Iterable[FieldMapping]] | None = None,
) -> Discovery:
    """Describe ``streams`` (all by default); with a client, custom fields included.

    ``previous`` holds the mappings stored by an earlier sync, per entity, so that
    the columns shown are the frozen ones that sync uses.
    """
    selected = [get_stream(name) for name in (streams or CATALOG)]
    catalogs: dict[str, FieldCatalog] = {}
    warnings: list[str] = []
    if client is not None:
        for entity in sorted({s.fields_entity for s in selected if s.fields_entity}):
            try:
                defs = fetch_field_defs(client, entity)
            except ForbiddenError as exc:
                warnings.append(
                    f"{entity} fields not readable ({exc.message}); system columns only"
                )
                continue
            catalogs[entity] = field_catalog(entity, defs, (previous or {}).get(entity, ()))
    infos = []
    for spec in selected:
        fields = catalogs.get(spec.fields_entity) if spec.fields_entity else None
        infos.append(StreamInfo(spec, table_schema(spec, fields), fields))
    return Discovery(tuple(infos), catalogs, offline=client is None, warnings=tuple(warnings))


def stream_dict(
    spec: StreamSpec, table: TableSchema, fields: FieldCatalog | None = None
) -> dict[str, Any]:
    """A JSON-able description of one stream and its table."""
    custom = {c: m for m in (fields.custom() if fields else ()) for c in m.column_names}
    columns = []
    for column in table.columns:
        item: dict[str, Any] = {"name": column.name, "type": column.type, "source": column.source}
        mapping = custom.get(column.name)
        if mapping is not None:
            item["custom_field"] = {
                "key": mapping.key,
                "name": mapping.name,
                "field_type": mapping.field_type,
                "deleted": mapping.deleted,
            }
        columns.append(item)
    return {
        "name": spec.name,
        "description": spec.description,
        "api_path": spec.api_path,
        "version": spec.version,
        "primary_key": list(spec.primary_key),
        "cursor": spec.cursor,
        "mode": spec.mode,
        "incremental": asdict(spec.incremental) if spec.incremental else None,
        "pagination": spec.pagination,
        "page_limit": spec.page_limit,
        "parent": asdict(spec.parent) if spec.parent else None,
        "params": dict(spec.params),
        "passes": [{"name": p.name, "params": dict(p.params)} for p in spec.passes],
        "delete_strategy": spec.delete_strategy,
        "fields_entity": spec.fields_entity,
        "token_cost": spec.token_cost,
        "cost_class": spec.cost_class,
        "opt_in": spec.opt_in,
        "extended": asdict(spec.extended) if spec.extended else None,
        "fanout": [dict(p) for p in spec.fanout],
        "scopes": list(spec.scopes),
        "columns": columns,
    }
