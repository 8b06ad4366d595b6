"""The CRM's core streams: deals, people, organizations, activities, products, leads,
notes, files, their field definitions and children, and the account's reference lists.

Each entry states only what differs from the defaults of :class:`StreamSpec`.
"""

from __future__ import annotations

from pdsync.catalog.columns import address_cols, cols
from pdsync.catalog.streams import V1_SORT, Extended, Incremental, Parent, Pass, StreamSpec

V2_CHANGES = Incremental()
V2_SINCE_ONLY = Incremental(until_param=None)  # products: no `updated_until`
V1_CHANGES = Incremental(until_param=None, sort=V1_SORT)  # leads, notes (v1 since 2025)

DEAL_COLUMNS = cols(
    "id:int title owner_id:int creator_user_id:int person_id:int org_id:int pipeline_id:int "
    "stage_id:int value:real currency status probability:real lost_reason visible_to:int "
    "add_time:ts update_time:ts stage_change_time:ts close_time:ts won_time:ts lost_time:ts "
    "expected_close_date:date is_deleted:bool is_archived:bool archive_time:ts label_ids:json "
    "origin origin_id channel:int channel_id source_lead_id arr:real mrr:real acv:real"
)
LEAD_COLUMNS = cols(
    "id title owner_id:int creator_id:int person_id:int organization_id:int "
    "value:real=value.amount currency=value.currency expected_close_date:date "
    "label_ids:json source_name origin origin_id channel:int channel_id source_deal_id:int "
    "is_archived:bool was_seen:bool next_activity_id:int visible_to:int cc_email "
    "add_time:ts update_time:ts"
)
V2_FIELD_COLUMNS = (
    "field_code field_name field_type options:json subfields:json "
    "is_custom_field:bool is_optional_response_field:bool"
)


def fields_stream(entity: str, extra: str = "") -> StreamSpec:
    return StreamSpec(
        f"{entity}_fields",
        f"{entity}Fields",
        cols(f"{V2_FIELD_COLUMNS} {extra}"),
        primary_key=("field_code",),
        delete_strategy="full_refresh_replace",
        description=f"Field definitions of {entity}s, custom fields included.",
    )


def _followers(entity: str, plural: str) -> StreamSpec:
    return StreamSpec(
        f"{entity}_followers",
        f"{plural}/{{id}}/followers",
        cols(f"{entity}_id:int=$parent user_id:int add_time:ts"),
        primary_key=(f"{entity}_id", "user_id"),
        mode="incremental",
        parent=Parent(plural, key_column=f"{entity}_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description=f"Users following each {entity}, read for changed {plural} only.",
    )


CRM_STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(
        "deals",
        "deals",
        DEAL_COLUMNS,
        incremental=V2_CHANGES,
        mode="incremental",
        params=(("status", "open,won,lost"),),
        passes=(Pass("deleted", (("status", "deleted"),)),),
        delete_strategy="status_deleted",
        fields_entity="deal",
        description="Deals (not archived); a second pass reads deals deleted in the last 30 days.",
    ),
    StreamSpec(
        "archived_deals",
        "deals/archived",
        DEAL_COLUMNS,
        incremental=V2_CHANGES,
        mode="incremental",
        passes=(Pass("deleted", (("status", "deleted"),)),),
        fields_entity="deal",
        description="Archived deals, which /deals no longer lists since 2025-07-15; a second "
        "pass reads archived deals deleted in the last 30 days.",
    ),
    StreamSpec(
        "persons",
        "persons",
        cols(
            "id:int name first_name last_name owner_id:int org_id:int "
            "emails:json phones:json primary_email=emails[primary] primary_phone=phones[primary] "
            "label_ids:json picture_id:int visible_to:int is_deleted:bool notes im:json "
            "birthday:date job_title add_time:ts update_time:ts "
            + address_cols("postal_address", "postal_address")
        ),
        incremental=V2_CHANGES,
        mode="incremental",
        fields_entity="person",
        description="People (contacts).",
    ),
    StreamSpec(
        "organizations",
        "organizations",
        cols(
            "id:int name owner_id:int label_ids:json website linkedin industry:int "
            "annual_revenue:int employee_count:int visible_to:int is_deleted:bool "
            "add_time:ts update_time:ts " + address_cols("address", "address")
        ),
        incremental=V2_CHANGES,
        mode="incremental",
        fields_entity="organization",
        description="Organizations (companies).",
    ),
    StreamSpec(
        "activities",
        "activities",
        cols(
            "id:int subject type owner_id:int creator_user_id:int deal_id:int lead_id "
            "person_id:int org_id:int project_id:int due_date:date due_time:time duration:time "
            "busy:bool done:bool marked_as_done_time:ts priority:int note public_description "
            "participants:json attendees:json conference_meeting_client conference_meeting_url "
            "conference_meeting_id is_deleted:bool add_time:ts update_time:ts "
            + address_cols("location", "location")
        ),
        incremental=V2_CHANGES,
        mode="incremental",
        description="Activities (calls, meetings, tasks…).",
    ),
    StreamSpec(
        "products",
        "products",
        cols(
            "id:int name code description unit tax:real category prices:json owner_id:int "
            "visible_to:int is_linkable:bool is_deleted:bool billing_frequency "
            "billing_frequency_cycles:int add_time:ts update_time:ts"
        ),
        incremental=V2_SINCE_ONLY,
        mode="incremental",
        fields_entity="product",
        description="Products with their prices (JSON array, one item per currency).",
    ),
    StreamSpec(
        "leads",
        "leads",
        LEAD_COLUMNS,
        version="v1",
        incremental=V1_CHANGES,
        mode="incremental",
        pagination="offset",
        fields_entity="deal",
        description="Leads (not archived); custom fields are the deal fields.",
    ),
    StreamSpec(
        "archived_leads",
        "leads/archived",
        LEAD_COLUMNS,
        version="v1",
        pagination="offset",
        fields_entity="deal",
        description="Archived leads, which /leads no longer lists since 2025-07-15.",
    ),
    StreamSpec(
        "notes",
        "notes",
        cols(
            "id:int content user_id:int deal_id:int person_id:int org_id:int lead_id "
            "project_id:int task_id:int last_update_user_id:int active_flag:bool "
            "pinned_to_deal_flag:bool pinned_to_person_flag:bool pinned_to_lead_flag:bool "
            "pinned_to_organization_flag:bool pinned_to_project_flag:bool "
            "pinned_to_task_flag:bool add_time:ts update_time:ts"
        ),
        version="v1",
        incremental=V1_CHANGES,
        mode="incremental",
        pagination="offset",
        description="Notes (HTML content) on deals, people, organizations, leads, projects.",
    ),
    StreamSpec(
        "files",
        "files",
        cols(
            "id:int name file_name file_size:int description url remote_location remote_id "
            "user_id:int deal_id:int person_id:int org_id:int product_id:int activity_id:int "
            "lead_id project_id:int deal_name person_name org_name product_name lead_name "
            "project_name mail_message_id mail_template_id cid s3_bucket active_flag:bool "
            "inline_flag:bool add_time:ts update_time:ts"
        ),
        version="v1",
        pagination="offset",
        page_limit=100,  # /v1/files caps `limit` at 100
        params=(("sort", "id ASC"),),
        description="File metadata (not the content).",
    ),
    StreamSpec(
        "pipelines",
        "pipelines",
        cols(
            "id:int name order_nr:int is_selected:bool is_deal_probability_enabled:bool is_deleted:bool "
            "add_time:ts update_time:ts"
        ),
        delete_strategy="full_refresh_replace",
        description="Pipelines.",
    ),
    StreamSpec(
        "stages",
        "stages",
        cols(
            "id:int name pipeline_id:int order_nr:int deal_probability:int "
            "is_deal_rot_enabled:bool days_to_rotten:int is_deleted:bool add_time:ts update_time:ts"
        ),
        delete_strategy="full_refresh_replace",
        description="Pipeline stages.",
    ),
    StreamSpec(
        "users",
        "users",
        cols(
            "id:int name email phone role_id:int active_flag:bool activated:bool "
            "is_deleted:bool is_you:bool has_created_company:bool access:json default_currency "
            "locale lang:int timezone_name timezone_offset icon_url last_login:ts created:ts "
            "modified:ts"
        ),
        version="v1",
        pagination="none",
        delete_strategy="full_refresh_replace",
        description="Users of the company account.",
    ),
    StreamSpec(
        "activity_types",
        "activityTypes",
        cols(
            "id:int name key_string icon_key color order_nr:int active_flag:bool "
            "is_custom_flag:bool add_time:ts update_time:ts"
        ),
        version="v1",
        pagination="none",
        delete_strategy="full_refresh_replace",
        description="Activity types; activities.type holds their key_string.",
    ),
    StreamSpec(
        "lead_labels",
        "leadLabels",
        cols("id name color add_time:ts update_time:ts"),
        version="v1",
        pagination="none",
        delete_strategy="full_refresh_replace",
        description="Lead labels (UUID ids).",
    ),
    StreamSpec(
        "lead_sources",
        "leadSources",
        cols("name"),
        version="v1",
        primary_key=("name",),
        pagination="none",
        delete_strategy="full_refresh_replace",
        description="Lead sources (names only).",
    ),
    StreamSpec(
        "filters",
        "filters",
        cols(
            "id:int name type filter_code user_id:int visible_to:int is_editable:bool "
            "active_flag:bool temporary_flag:bool custom_view_id:int last_used_time:ts "
            "add_time:ts update_time:ts conditions:json"
        ),
        version="v1",
        pagination="none",
        delete_strategy="full_refresh_replace",
        extended=Extended("filters/{id}", ("conditions",)),
        description="Saved filters of every type; `conditions` read per new or changed filter.",
    ),
    StreamSpec(
        "currencies",
        "currencies",
        cols("id:int code name symbol decimal_points:int active_flag:bool is_custom_flag:bool"),
        version="v1",
        pagination="none",
        delete_strategy="full_refresh_replace",
        description="Currencies known to the account.",
    ),
    fields_stream("deal", "description"),  # only dealFields documents a description
    fields_stream("person"),
    fields_stream("organization"),
    fields_stream("product"),
    StreamSpec(
        "activity_fields",
        "activityFields",
        cols(V2_FIELD_COLUMNS),
        primary_key=("field_code",),
        delete_strategy="full_refresh_replace",
        description="Field definitions of activities.",
    ),
    StreamSpec(
        "note_fields",
        "noteFields",
        cols(
            "id:int key name field_type options:json active_flag:bool edit_flag:bool "
            "bulk_edit_allowed:bool mandatory_flag:bool"
        ),
        version="v1",
        pagination="none",
        delete_strategy="full_refresh_replace",
        description="Field definitions of notes (v1 only).",
    ),
    StreamSpec(
        "deal_products",
        "deals/products",
        cols(
            "id:int deal_id:int product_id:int product_variation_id:int name order_nr:int "
            "item_price:real quantity:real sum:real currency tax:real tax_method discount:real "
            "discount_type is_enabled:bool comments billing_frequency "
            "billing_frequency_cycles:int billing_start_date:date add_time:ts update_time:ts"
        ),
        mode="incremental",
        parent=Parent("deals", key_column="deal_id", via="deal_ids", batch_size=100),
        delete_strategy="parent_replace",
        description="Products attached to deals, read 100 changed deals per call.",
    ),
    StreamSpec(
        "deal_participants",
        "deals/{id}/participants",
        cols(
            "id:int deal_id:int=$parent person_id:int added_by_user_id:int active_flag:bool "
            "related_item_type related_item_id:int add_time:ts"
        ),
        version="v1",
        mode="incremental",
        pagination="offset",
        parent=Parent("deals", key_column="deal_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="People participating in each deal, read for changed deals only.",
    ),
    _followers("deal", "deals"),
    _followers("person", "persons"),
    _followers("organization", "organizations"),
    _followers("product", "products"),
    StreamSpec(
        "organization_relationships",
        "organizationRelationships",
        cols(
            "id:int type rel_owner_org_id:int rel_linked_org_id:int calculated_type "
            "calculated_related_org_id:int related_organization_name active_flag:bool "
            "add_time:ts update_time:ts"
        ),
        version="v1",
        mode="incremental",
        pagination="none",
        # A relationship is listed under both of its organizations: `id` identifies it.
        parent=Parent("organizations", key_column=None, via="org_id"),
        opt_in=True,
        description="Parent/related links between organizations.",
    ),
    StreamSpec(
        "goals",
        "goals/find",
        cols(
            "id title owner_id:int type:json assignee:json interval duration:json "
            "expected_outcome:json is_active:bool report_ids:json"
        ),
        version="v1",
        pagination="none",
        records_path=("data", "goals"),
        delete_strategy="full_refresh_replace",
        description="Goals (hex string ids).",
    ),
    StreamSpec(
        "roles",
        "roles",
        cols(
            "id:int name parent_role_id:int level:int active_flag:bool assignment_count:int "
            "sub_role_count:int"
        ),
        version="v1",
        pagination="offset",
        delete_strategy="full_refresh_replace",
        description="Visibility roles.",
    ),
    StreamSpec(
        "permission_sets",
        "permissionSets",
        cols("id name description app type assignment_count:int contents:json"),
        version="v1",
        pagination="none",
        delete_strategy="full_refresh_replace",
        extended=Extended("permissionSets/{id}", ("contents",)),
        description="Permission sets (UUID ids); `contents` read per new or changed set.",
    ),
    StreamSpec(
        "webhooks",
        "webhooks",
        # http_auth_password is a secret: it is never replicated.
        cols(
            "id:int name event_action event_object subscription_url version type "
            "is_active:bool http_auth_user owner_id:int user_id:int admin_id:int "
            "company_id:int last_delivery_time:ts last_http_status:int remove_reason "
            "add_time:ts remove_time:ts"
        ),
        version="v1",
        pagination="none",
        delete_strategy="full_refresh_replace",
        description="Webhook subscriptions of the account.",
    ),
)
