"""Who may see and do what: role and permission-set assignments, role settings and
pipelines, followers of users, permitted users of records, lead field definitions.

Roles and permission sets are few and carry no ``update_time``: their children are
read for every one of them on each sync. Permitted users cost a call per record, so
they are opt-in and read only for records whose ``update_time`` moved.
"""

from __future__ import annotations

from typing import Any

from pdsync.catalog.columns import cols
from pdsync.catalog.streams import ApiVersion, Parent, StreamSpec


def _permitted_users(entity: str, plural: str, version: ApiVersion = "v1") -> StreamSpec:
    id_type = "" if entity == "lead" else ":int"  # lead ids are UUIDs
    return StreamSpec(
        f"{entity}_permitted_users",
        f"{plural}/{{id}}/permittedUsers",
        cols(f"{entity}_id{id_type}=$parent user_id:int=$item"),
        version=version,
        primary_key=(f"{entity}_id", "user_id"),
        mode="incremental",
        pagination="none",
        parent=Parent(plural, key_column=f"{entity}_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description=f"Users allowed to see each {entity}; read for changed {plural} only.",
    )


def _of_every(
    parent: str, key: str, name: str, path: str, columns: str, pk: tuple[str, ...], **kw: Any
) -> StreamSpec:
    """A v1 list per role or permission set: few parents without `update_time`, all read."""
    return StreamSpec(
        name,
        path,
        cols(columns),
        version="v1",
        primary_key=pk,
        mode="incremental",
        parent=Parent(parent, key_column=key, changed_only=False),
        delete_strategy="parent_replace",
        **kw,
    )


ACCESS_STREAMS: tuple[StreamSpec, ...] = (
    _of_every(
        "roles",
        "role_id",
        "role_assignments",
        "roles/{id}/assignments",
        "role_id:int user_id:int name parent_role_id:int active_flag:bool type",
        ("role_id", "user_id"),
        pagination="offset",
        description="Users assigned to each role (every role, every sync: roles are few).",
    ),
    _of_every(
        "roles",
        "role_id",
        "role_settings",
        "roles/{id}/settings",
        "role_id:int=$parent deal_default_visibility:int lead_default_visibility:int "
        "org_default_visibility:int person_default_visibility:int "
        "product_default_visibility:int deal_access_level:int org_access_level:int "
        "person_access_level:int product_access_level:int",
        ("role_id",),
        pagination="none",
        description="Default visibility and access levels of each role (one row per role).",
    ),
    _of_every(
        "roles",
        "role_id",
        "role_pipelines",
        "roles/{id}/pipelines",
        "role_id:int=$parent pipeline_ids:json visible:bool",
        ("role_id",),
        pagination="none",
        description="Pipelines visible to each role (one row per role).",
    ),
    _of_every(
        "permission_sets",
        "permission_set_id",
        "permission_set_assignments",
        "permissionSets/{id}/assignments",
        "permission_set_id user_id:int name",
        ("permission_set_id", "user_id"),
        pagination="offset",
        description="Users assigned to each permission set (every set, every sync).",
    ),
    StreamSpec(
        "user_followers",
        "users/{id}/followers",
        cols("followed_user_id:int=$parent user_id:int add_time:ts"),
        primary_key=("followed_user_id", "user_id"),
        mode="incremental",
        parent=Parent("users", key_column="followed_user_id", changed_by="modified"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Users following each user; read for changed users only.",
    ),
    _permitted_users("deal", "deals"),
    _permitted_users("person", "persons"),
    _permitted_users("organization", "organizations"),
    _permitted_users("product", "products"),
    _permitted_users("lead", "leads"),
    _permitted_users("project", "projects", "v2"),
    StreamSpec(
        "lead_fields",
        "leadFields",
        cols(
            "id:int key name order_nr:int field_type add_time:ts update_time:ts "
            "last_updated_by_user_id:int created_by_user_id:int active_flag:bool edit_flag:bool "
            "index_visible_flag:bool details_visible_flag:bool add_visible_flag:bool "
            "important_flag:bool bulk_edit_allowed:bool searchable_flag:bool "
            "filtering_allowed:bool sortable_flag:bool mandatory_flag:bool options:json "
            "options_deleted:json is_subfield:bool subfields:json"
        ),
        version="v1",
        primary_key=("key",),  # subfields (address parts, currency) share their field's id
        pagination="offset",
        delete_strategy="full_refresh_replace",
        description="Field definitions of leads, subfields included (lead rows carry the "
        "deal fields' values).",
    ),
)
