"""The stream catalog: every Pipedrive stream as data, custom fields as typed columns."""

from pdsync.catalog.fields import FIELDS_TABLE, FieldCatalog, FieldMapping
from pdsync.catalog.registry import CATALOG, FIELDS_STREAMS, STREAMS, children_of, get_stream
from pdsync.catalog.streams import Incremental, Parent, Pass, StreamSpec
from pdsync.catalog.tables import field_catalog, reserved_columns, table_schema

__all__ = [
    "CATALOG",
    "FIELDS_STREAMS",
    "FIELDS_TABLE",
    "STREAMS",
    "FieldCatalog",
    "FieldMapping",
    "Incremental",
    "Parent",
    "Pass",
    "StreamSpec",
    "children_of",
    "field_catalog",
    "get_stream",
    "reserved_columns",
    "table_schema",
]
