"""Who may see and do what: role and permission-set assignments, role settings and
pipelines, followers of users, permitted users of records, lead field definitions.

Roles and permission sets are few and carry no ``update_time``: their children are
read for every one of them on each sync. Permitted users cost a call per record, so
they are opt-in and read only for records whose ``update_time`` moved.
"""

from __future__ import annotations

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


ACCESS_STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(
        "role_assignments",
        "roles/{id}/assignments",
        cols("role_id:int user_id:int name parent_role_id:int active_flag:bool type"),
        version="v1",
        primary_key=("role_id", "user_id"),
        mode="incremental",
        pagination="offset",
        parent=Parent("roles", key_column="role_id", changed_only=False),
        delete_strategy="parent_replace",
        description="Users assigned to each role (every role, every sync: roles are few).",
    ),
    StreamSpec(
        "role_settings",
        "roles/{id}/settings",
        cols(
            "role_id:int=$parent deal_default_visibility:int lead_default_visibility:int "
            "org_default_visibility:int person_default_visibility:int "
            "product_default_visibility:int deal_access_level:int org_access_level:int "
            "person_access_level:int product_access_level:int"
        ),
        version="v1",
        primary_key=("role_id",),
        mode="incremental",
        pagination="none",
        parent=Parent("roles", key_column="role_id", changed_only=False),
        delete_strategy="parent_replace",
        description="Default visibility and access levels of each role (one row per role).",
    ),
    StreamSpec(
        "role_pipelines",
        "roles/{id}/pipelines",
        cols("role_id:int=$parent pipeline_ids:json visible:bool"),
        version="v1",
        primary_key=("role_id",),
        mode="incremental",
        pagination="none",
        parent=Parent("roles", key_column="role_id", changed_only=False),
        delete_strategy="parent_replace",
        description="Pipelines visible to each role (one row per role).",
    ),
    StreamSpec(
        "permission_set_assignments",
        "permissionSets/{id}/assignments",
        cols("permission_set_id user_id:int name"),
        version="v1",
        primary_key=("permission_set_id", "user_id"),
        mode="incremental",
        pagination="offset",
        parent=Parent("permission_sets", key_column="permission_set_id", changed_only=False),
        delete_strategy="parent_replace",
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
