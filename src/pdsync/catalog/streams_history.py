"""History and money-detail streams, read per parent: deal flow, changelogs, followers and
participants changelogs, product variations, deal installments and discounts, note comments.

They cost what changed, not the account: a parent is read only when its ``update_time``
moved since the child's bookmark (:mod:`pdsync.sync.children`); batch endpoints take 100
deals a call. The ones that cost a call per parent on the first sync are ``opt_in``: a
replication file's ``'*'`` does not select them, naming them does.

Changelog items have no id: their key (``change_key``, source ``$hash``) is a digest of
the parent id and the item's content (:func:`pdsync.sync.history.with_content_keys`).
"""

from __future__ import annotations

from pdsync.catalog.columns import cols
from pdsync.catalog.streams import Parent, StreamSpec

CHANGELOG_COLUMNS = (
    "field_key old_value new_value actor_user_id:int time:ts change_source "
    "change_source_user_agent is_bulk_update_flag:bool"
)
# v1 flow items of type `dealChange`, custom fields included (`all_changes=1`).
FLOW_COLUMNS = (
    "id:int=data.id deal_id:int=$parent time:ts=timestamp kind=object field_key=data.field_key "
    "old_value=data.old_value new_value=data.new_value user_id:int=data.user_id "
    "change_source=data.change_source is_bulk_update:bool=data.is_bulk_update_flag"
)


def _changelog(entity: str, plural: str) -> StreamSpec:
    return StreamSpec(
        f"{entity}_changelog",
        f"{plural}/{{id}}/changelog",
        cols(f"change_key=$hash {entity}_id:int=$parent {CHANGELOG_COLUMNS}"),
        version="v1",
        primary_key=("change_key",),
        mode="incremental",
        parent=Parent(plural, key_column=f"{entity}_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description=f"Who changed which field of each {entity}, when, from and to what; "
        f"read for changed {plural} only.",
    )


def _followers_changelog(entity: str, plural: str) -> StreamSpec:
    return StreamSpec(
        f"{entity}_followers_changelog",
        f"{plural}/{{id}}/followers/changelog",
        cols(
            f"change_key=$hash {entity}_id:int=$parent action actor_user_id:int "
            "follower_user_id:int time:ts"
        ),
        primary_key=("change_key",),
        mode="incremental",
        parent=Parent(plural, key_column=f"{entity}_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description=f"Followers added to and removed from each {entity}; "
        f"read for changed {plural} only.",
    )


HISTORY_STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(
        "deal_flow",
        "deals/{id}/flow",
        cols(FLOW_COLUMNS),
        version="v1",
        mode="incremental",
        pagination="offset",
        params=(("items", "dealChange"), ("all_changes", "1")),
        parent=Parent("deals", key_column="deal_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Every field update of each deal (stage moves, status, value, custom "
        "fields) as rows; read for changed deals only. 40 tokens a call: opt-in.",
    ),
    _changelog("deal", "deals"),
    _changelog("person", "persons"),
    _changelog("organization", "organizations"),
    StreamSpec(
        "deal_participants_changelog",
        "deals/{id}/participantsChangelog",
        cols("change_key=$hash deal_id:int=$parent actor_user_id:int person_id:int action time:ts"),
        version="v1",
        primary_key=("change_key",),
        mode="incremental",
        parent=Parent("deals", key_column="deal_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Participants added to and removed from each deal; read for changed "
        "deals only.",
    ),
    _followers_changelog("deal", "deals"),
    _followers_changelog("person", "persons"),
    _followers_changelog("organization", "organizations"),
    _followers_changelog("product", "products"),
    StreamSpec(
        "product_variations",
        "products/{id}/variations",
        cols("id:int name product_id:int prices:json"),
        mode="incremental",
        parent=Parent("products", key_column="product_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Variations of each product with their prices; read for changed products only.",
    ),
    StreamSpec(
        "deal_installments",
        "deals/installments",
        cols("id:int deal_id:int amount:real billing_date:date description"),
        mode="incremental",
        parent=Parent("deals", key_column="deal_id", via="deal_ids", batch_size=100),
        delete_strategy="parent_replace",
        description="Installments of deals (Growth plan and above), read 100 changed deals "
        "per call.",
    ),
    StreamSpec(
        "deal_discounts",
        "deals/{id}/discounts",
        cols(
            "id deal_id:int type amount:real description created_at:ts created_by:int "
            "updated_at:ts updated_by:int"
        ),
        mode="incremental",
        pagination="none",
        parent=Parent("deals", key_column="deal_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        description="Additional discounts of each deal (UUID ids); read for changed deals only.",
    ),
    StreamSpec(
        "note_comments",
        "notes/{id}/comments",
        cols(
            "uuid note_id:int=$parent object_id object_type content user_id:int updater_id:int "
            "company_id:int active_flag:bool add_time:ts update_time:ts"
        ),
        version="v1",
        primary_key=("uuid",),
        mode="incremental",
        pagination="offset",
        parent=Parent("notes", key_column="note_id"),
        delete_strategy="parent_replace",
        opt_in=True,
        # A comment does not move its note's update_time (in the emulator at least): a
        # comment on an otherwise unchanged note arrives with `--full-refresh`.
        description="Comments on each note; read for changed notes only (all notes with "
        "`--full-refresh`: a new comment may leave its note's `update_time` alone).",
    ),
)
