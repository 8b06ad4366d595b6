"""Streams of the work around deals: projects (boards, phases, tasks, templates,
fields, changes), mail threads and messages, call logs.

None of these lists takes ``updated_since``: the small ones are replaced on every
sync, the others are read whole, merged by id and reconciled for deletes; their
children are read only for the parents whose ``update_time`` moved.
"""

from __future__ import annotations

from pdsync.catalog.columns import cols
from pdsync.catalog.streams import Parent, StreamSpec
from pdsync.catalog.streams_crm import fields_stream

PROJECT_COLUMNS = cols(
    "id:int title description status board_id:int phase_id:int owner_id:int "
    "start_date:date end_date:date deal_ids:json person_ids:json org_ids:json label_ids:json "
    "health_status:int add_time:ts update_time:ts status_change_time:ts archive_time:ts"
)
MAIL_FLAGS = (
    "read_flag:bool has_attachments_flag:bool has_inline_attachments_flag:bool "
    "has_real_attachments_flag:bool deleted_flag:bool synced_flag:bool smart_bcc_flag:bool "
    "mail_link_tracking_enabled_flag:bool"
)
MAIL_FOLDERS = ("inbox", "drafts", "sent", "archive")

WORK_STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(
        "projects",
        "projects",
        PROJECT_COLUMNS,
        fields_entity="project",
        description="Projects (not archived), custom fields included; read whole, merged by id.",
    ),
    StreamSpec(
        "archived_projects",
        "projects/archived",
        PROJECT_COLUMNS,
        fields_entity="project",
        description="Archived projects, which /projects does not list.",
    ),
    fields_stream("project"),
    StreamSpec(
        "project_boards",
        "boards",
        cols("id:int name order_nr:int add_time:ts update_time:ts"),
        pagination="none",
        delete_strategy="full_refresh_replace",
        description="Project boards.",
    ),
    StreamSpec(
        "project_phases",
        "phases",
        cols("id:int name board_id:int order_nr:int add_time:ts update_time:ts"),
        mode="incremental",
        pagination="none",
        # A phase can change without its board changing: every board, every sync (few).
        parent=Parent("project_boards", key_column="board_id", via="board_id", changed_only=False),
        delete_strategy="parent_replace",
        description="Phases of each project board.",
    ),
    StreamSpec(
        "tasks",
        "tasks",
        cols(
            "id:int title creator_id:int description project_id:int is_done:bool "
            "is_milestone:bool due_date:date start_date:date parent_task_id:int "
            "assignee_ids:json priority:int add_time:ts update_time:ts marked_as_done_time:ts"
        ),
        description="Project tasks; read whole, merged by id.",
    ),
    StreamSpec(
        "project_templates",
        "projectTemplates",
        cols(
            "id:int title description projects_board_id:int owner_id:int add_time:ts update_time:ts"
        ),
        delete_strategy="full_refresh_replace",
        description="Project templates.",
    ),
    StreamSpec(
        "project_changelog",
        "projects/{id}/changelog",
        cols(
            "change_key=$hash project_id:int=$parent time:ts actor_user_id:int change_source "
            "change_source_user_agent old_values:json new_values:json"
        ),
        primary_key=("change_key",),
        mode="incremental",
        parent=Parent("projects", key_column="project_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Field changes of each project, read for changed projects only.",
    ),
    StreamSpec(
        "project_groups",
        "projects/{id}/groups",
        cols("id:int project_id:int=$parent name order_nr:int"),
        version="v1",
        primary_key=("project_id", "id"),
        mode="incremental",
        pagination="none",
        parent=Parent("projects", key_column="project_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Task groups of each project; read for changed projects only.",
    ),
    StreamSpec(
        "project_plan",
        "projects/{id}/plan",
        cols("project_id:int=$parent item_type item_id:int phase_id:int group_id:int"),
        version="v1",
        primary_key=("project_id", "item_type", "item_id"),
        mode="incremental",
        pagination="none",
        parent=Parent("projects", key_column="project_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Where each task and activity of a project sits (phase, group); "
        "read for changed projects only.",
    ),
    StreamSpec(
        "mail_threads",
        "mailbox/mailThreads",
        cols(
            "id:int account_id user_id:int subject snippet mail_tracking_status "
            f"{MAIL_FLAGS} parties:json drafts_parties:json folders:json version:real "
            "snippet_draft snippet_sent message_count:int has_draft_flag:bool "
            "has_sent_flag:bool archived_flag:bool shared_flag:bool external_deleted_flag:bool "
            "first_message_to_me_flag:bool last_message_timestamp:ts first_message_timestamp:ts "
            "last_message_sent_timestamp:ts last_message_received_timestamp:ts "
            "deal_id:int deal_status lead_id all_messages_sent_flag:bool add_time:ts update_time:ts"
        ),
        version="v1",
        pagination="offset",
        fanout=tuple((("folder", folder),) for folder in MAIL_FOLDERS),
        delete_strategy="full_refresh_replace",
        description="Mail threads of the token's user, one listing per folder "
        f"({', '.join(MAIL_FOLDERS)}).",
    ),
    StreamSpec(
        "mail_messages",
        "mailbox/mailThreads/{id}/mailMessages",
        cols(
            f"id:int mail_thread_id:int account_id user_id:int subject snippet {MAIL_FLAGS} "
            "mail_tracking_status from:json to:json cc:json bcc:json body_url draft "
            "has_body_flag:bool sent_flag:bool sent_from_pipedrive_flag:bool message_time:ts "
            "add_time:ts update_time:ts"
        ),
        version="v1",
        mode="incremental",
        pagination="none",
        parent=Parent("mail_threads", key_column="mail_thread_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Messages of each mail thread (not the bodies: `body_url`), "
        "read for changed threads only.",
    ),
    StreamSpec(
        "call_logs",
        "callLogs",
        cols(
            "id user_id:int activity_id:int subject duration outcome from_phone_number "
            "to_phone_number start_time:ts end_time:ts person_id:int org_id:int deal_id:int "
            "lead_id note has_recording:bool company_id:int"
        ),
        version="v1",
        pagination="offset",
        page_limit=50,  # "The upper limit is 50."
        description="Call logs (string ids); read whole, merged by id.",
    ),
)
