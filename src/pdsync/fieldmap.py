"""Names in, hashes out: the catalog's field mapping, loaded live for the tools that write.

Sync names a custom field's column after the field (DESIGN decision 2); push and events
must accept that same name back. Both therefore resolve what a user wrote — the column
``pdsync discover`` shows, Pipedrive's display name, or the 40-char hash key — through
one :class:`~pdsync.catalog.fields.FieldCatalog` per entity, built here from the
account's ``*Fields`` endpoint plus, when a replica is at hand, the mappings the sync
stored (so a column frozen before a rename keeps working).

Only the ``request`` method of a client is used, so push and events can be driven by
:class:`pdsync.api.client.PipedriveClient` or by a small fake in tests; the paging and
exact-match search both tools read records with live here too, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal, Protocol

from pdsync.api.pagination import DEFAULT_LIMIT, make_paginator, page_items
from pdsync.catalog.fields import FieldCatalog, FieldMapping
from pdsync.catalog.registry import FIELDS_STREAMS, get_stream
from pdsync.catalog.tables import field_catalog
from pdsync.errors import ConfigError, ServerError

Version = Literal["v1", "v2"]


class RequestClient(Protocol):
    """The slice of :class:`pdsync.api.client.PipedriveClient` that push and events use."""

    def request(
        self,
        method: str,
        path: str,
        *,
        version: Version = "v2",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]: ...


def list_records(
    client: RequestClient,
    path: str,
    version: Version,
    params: Mapping[str, Any] | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
) -> Iterator[dict[str, Any]]:
    """Every record of a list (v2 cursor, v1 offset), paged by the API layer's paginators,
    which refuse a cursor that repeats instead of looping forever."""
    paginator = make_paginator(None, version, limit=limit, path=path)
    base = dict(params or {})
    page: dict[str, Any] | None = paginator.first_params()
    while page is not None:
        body = client.request("GET", path, version=version, params={**base, **page})
        yield from page_items(body)
        page = paginator.next_params(body)


def search_exact(
    client: RequestClient, search_path: str, term: str, fields: str, *, most: int | None = None
) -> list[dict[str, Any]]:
    """The records a v2 exact-match search finds (``items[].item``), at most ``most``.

    Pipedrive answers a search that finds nothing with ``data: {"items": []}``. Any other
    shape (``data: null``, no ``items``) is an anomaly, not proof of absence: reading it
    as "no match" would make push and events create a duplicate, so it raises a
    transient :class:`~pdsync.errors.ServerError` and the caller retries.
    """
    params = {"term": term, "fields": fields, "exact_match": "true"}
    limit = min(DEFAULT_LIMIT, most) if most else DEFAULT_LIMIT
    paginator = make_paginator(None, "v2", limit=limit, path=search_path)
    found: list[dict[str, Any]] = []
    page: dict[str, Any] | None = paginator.first_params()
    while page is not None and (most is None or len(found) < most):
        body = client.request("GET", search_path, version="v2", params={**params, **page})
        data = body.get("data")
        if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
            raise ServerError(
                f"Pipedrive answered a search of {search_path} without a result list "
                f"(data: {json.dumps(data)[:60]}); it is retried, never read as no match.",
                hint="This is a Pipedrive anomaly; pdsync retries it. If it persists, try later.",
            )
        found += [hit.get("item", hit) for hit in data["items"] if isinstance(hit, Mapping)]
        page = paginator.next_params(body)
    return found[:most] if most else found


def fetch_field_defs(client: RequestClient, entity: str) -> list[dict[str, Any]]:
    """The account's field definitions of ``entity`` (``deal``, ``person``, …), every page."""
    stream = FIELDS_STREAMS.get(entity)
    if stream is None:
        raise ConfigError(
            f"Pipedrive has no field list for {entity!r}.",
            hint=f"Fields exist for: {', '.join(FIELDS_STREAMS)}.",
        )
    spec = get_stream(stream)
    version: Version = "v1" if spec.version == "v1" else "v2"
    return list(list_records(client, spec.path, version))


def load_catalog(
    client: RequestClient, entity: str, previous: Iterable[FieldMapping] = ()
) -> FieldCatalog:
    """The field mapping of ``entity`` as sync would build it now (frozen columns kept)."""
    return field_catalog(entity, fetch_field_defs(client, entity), previous)
