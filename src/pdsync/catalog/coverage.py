"""Which stream reads each list operation of Pipedrive's current specs, or why none does.

Every ``GET`` of ``endpoints.tsv`` that is in the latest specs and lists records (its
path does not end in a record id) is either a stream's path (or the single-record
path of a stream's extended columns) or has a reason below. A test keeps the two in
step, so a new list in Pipedrive's specs fails until it is a stream or is explained;
``docs/streams.md`` shows the table.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

from pdsync.catalog.registry import STREAMS

V2_TWIN = "v1 twin of a v2 list pdsync reads (v2 wherever v2 exists)"
SEARCH = "search over records the list streams replicate whole"
FILES_OF = "the same records as `files`, which carry deal/person/org/product ids"
AGGREGATE = "an aggregate computed on demand from deals; query the replica instead"
OWN_USER = "one object about the token's own user, not account data"
DEPRECATED_SUBSET = "deprecated; a subset of `deals` (filter by pipeline_id / stage_id)"
FOLLOWERS_V1 = "v1 twin of the v2 followers stream"

NOT_REPLICATED: dict[str, str] = {
    "/api/v1/activityFields": "v1 twin of `activity_fields` (v2)",
    "/api/v1/dealFields": "v1 twin of `deal_fields` (v2)",
    "/api/v1/organizationFields": "v1 twin of `organization_fields` (v2)",
    "/api/v1/personFields": "v1 twin of `person_fields` (v2)",
    "/api/v1/productFields": "v1 twin of `product_fields` (v2)",
    "/api/v1/billing/subscriptions/addons": "the company's billing add-ons: account "
    "administration, not CRM data",
    "/api/v1/deals/archived": "deprecated v1 twin of `archived_deals` (v2)",
    "/api/v1/deals/summary": AGGREGATE,
    "/api/v1/deals/summary/archived": AGGREGATE,
    "/api/v1/deals/timeline": AGGREGATE,
    "/api/v1/deals/timeline/archived": AGGREGATE,
    "/api/v1/deals/{id}/files": FILES_OF,
    "/api/v1/organizations/{id}/files": FILES_OF,
    "/api/v1/persons/{id}/files": FILES_OF,
    "/api/v1/products/{id}/files": FILES_OF,
    "/api/v1/deals/{id}/followers": FOLLOWERS_V1,
    "/api/v1/organizations/{id}/followers": FOLLOWERS_V1,
    "/api/v1/persons/{id}/followers": FOLLOWERS_V1,
    "/api/v1/products/{id}/followers": FOLLOWERS_V1,
    "/api/v1/users/{id}/followers": "v1 twin of `user_followers` (v2)",
    "/api/v1/deals/{id}/mailMessages": "the same messages as `mail_messages` (read per "
    "thread; `mail_threads.deal_id` links them)",
    "/api/v1/organizations/{id}/mailMessages": "the same messages as `mail_messages`, "
    "read per thread",
    "/api/v1/persons/{id}/mailMessages": "the same messages as `mail_messages`, read per thread",
    "/api/v1/organizations/{id}/flow": "its field changes are `organization_changelog`; "
    "its other items (activities, notes, mail, files) are their own streams",
    "/api/v1/persons/{id}/flow": "its field changes are `person_changelog`; its other "
    "items (activities, notes, mail, files) are their own streams",
    "/api/v1/files/{id}/download": "file content; `files` holds the metadata and URL",
    "/api/v1/filters/helpers": "Pipedrive's description of filter operators, not account data",
    "/api/v1/goals/{id}/results": "a report for a period the caller chooses "
    "(`period.start`/`period.end` required), not a stored object",
    "/api/v1/leads/search": SEARCH,
    "/api/v1/users/find": SEARCH,
    "/api/v2/deals/search": SEARCH,
    "/api/v2/itemSearch": SEARCH,
    "/api/v2/itemSearch/field": SEARCH,
    "/api/v2/leads/search": SEARCH,
    "/api/v2/organizations/search": SEARCH,
    "/api/v2/persons/search": SEARCH,
    "/api/v2/products/search": SEARCH,
    "/api/v2/projects/search": SEARCH,
    "/api/v1/legacyTeams": "deprecated legacy teams",
    "/api/v1/legacyTeams/{id}/users": "deprecated legacy teams",
    "/api/v1/persons/{id}/products": "products of the person's deals: `deal_products` "
    "joined with `deals`",
    "/api/v1/pipelines/{id}/conversion_statistics": "statistics for a period, computed on "
    "demand; `deal_flow` and `deals` give them",
    "/api/v1/pipelines/{id}/movement_statistics": "statistics for a period, computed on "
    "demand; `deal_flow` and `deals` give them",
    "/api/v1/pipelines/{id}/deals": DEPRECATED_SUBSET,
    "/api/v1/stages/{id}/deals": DEPRECATED_SUBSET,
    "/api/v1/products/{id}/deals": "deals of a product: `deal_products` holds the links",
    "/api/v1/projectTemplates": "v1 twin of `project_templates` (v2)",
    "/api/v1/projects": "v1 twin of `projects` (v2)",
    "/api/v1/projects/boards": "v1 twin of `project_boards` (v2)",
    "/api/v1/projects/phases": "v1 twin of `project_phases` (v2)",
    "/api/v1/tasks": "v1 twin of `tasks` (v2)",
    "/api/v1/projects/{id}/activities": "`activities` carry project_id",
    "/api/v1/projects/{id}/tasks": "`tasks` carry project_id",
    "/api/v1/recents": "only about a month of changes: never a source of truth",
    "/api/v1/userConnections": OWN_USER,
    "/api/v1/userSettings": OWN_USER,
    "/api/v1/users/me": OWN_USER,
    "/api/v1/users/{id}/permissions": "follows from the user's role and permission sets "
    "(`role_settings`, `permission_set_assignments`)",
    "/api/v1/users/{id}/roleAssignments": "the same rows as `role_assignments`",
    "/api/v1/users/{id}/roleSettings": "the settings of the user's role: `role_settings`",
    "/api/v2/deals/{id}/products": "`deal_products` reads the batch list (100 deals a call)",
    "/api/v2/persons/{id}/picture": "an image of one person (expiring URLs); "
    "`persons.picture_id` links it",
    "/api/v2/products/{id}/images": "an image of one product (expiring URLs)",
    "/oauth/authorize": "the OAuth consent page, not data",
}


@dataclass(frozen=True)
class Operation:
    version: str
    path: str
    operation_id: str
    token_cost: int
    streams: tuple[str, ...]  # streams reading it (their list or their extended columns)
    reason: str | None  # why no stream reads it


def list_operations() -> list[tuple[str, str, str, int]]:
    """(version, path, operationId, tokens) of every list GET in the latest specs."""
    text = resources.files("pdsync.data").joinpath("endpoints.tsv").read_text("utf-8")
    out = []
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        if row["method"] != "GET" or row["in_latest_spec"] != "yes":
            continue
        if row["path"].endswith("}"):
            continue  # one record by id: read by its list's stream
        out.append((row["version"], row["path"], row["operationId"], int(row["x_token_cost"] or 0)))
    return out


def coverage() -> list[Operation]:
    """Every list operation with the streams that read it, or the reason none does."""
    readers: dict[str, list[str]] = {}
    for spec in STREAMS:
        readers.setdefault(spec.api_path, []).append(spec.name)
        if spec.extended is not None:
            path = f"/api/{spec.version}/{spec.extended.path}"
            readers.setdefault(path, []).append(f"{spec.name} (extended)")
    out = []
    for version, path, op_id, tokens in list_operations():
        reason = None if path in readers else NOT_REPLICATED.get(path)
        out.append(Operation(version, path, op_id, tokens, tuple(readers.get(path, ())), reason))
    return out
