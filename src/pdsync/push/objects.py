"""What pdsync knows about each object it can push: endpoint, API version, fields, search.

Each object is declared once as a frozen :class:`ObjectSpec` that states only what
differs from the defaults. System fields are listed here (with pdsync's conversion
type) so a push works even when the account's ``*Fields`` endpoint omits some of
them; custom fields come from the account at run time through the catalog's field
mapping (see :mod:`pdsync.push.fields`).

Conversion types are Pipedrive's ``field_type`` values plus a few for system fields
whose write shape is special: ``emails``/``phones`` (lists of ``{value, primary}``),
``lead_value`` (``{amount, currency}``), ``lead_labels`` (UUID list), ``deal``/``lead``/
``product``/``pipeline``/``stage`` relations, ``datetime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pdsync.errors import ConfigError

Mode = Literal["insert", "update", "upsert", "delete", "merge"]
MODES: tuple[Mode, ...] = ("insert", "update", "upsert", "delete", "merge")


@dataclass(frozen=True)
class SystemField:
    code: str  # the key the API reads and writes
    field_type: str
    aliases: tuple[str, ...] = ()  # other column names users write, e.g. "organization"


@dataclass(frozen=True)
class LinkSpec:
    """A child list hung on a parent record: ``{parent_path}/{id}/{child}``.

    Rows name the parent (``parent`` field) and the linked item (``target`` field); the
    pair is the match key. Only deal products carry values an update can change.
    """

    parent: str  # field code naming the parent record: deal_id, person_id, org_id…
    parent_path: str  # deals, persons, organizations, products
    child: str  # products, participants, followers
    target: str  # field code of the linked item: product_id, person_id, user_id
    id_field: str = "id"  # the child's id in list answers (followers: user_id)
    has_values: bool = False  # True: the link has fields of its own (price, quantity…)
    noun: str = "link"  # for messages: "follower", "participant", "deal product"

    def collection(self, parent_id: object) -> str:
        return f"{self.parent_path}/{parent_id}/{self.child}"

    def item(self, parent_id: object, child_id: object) -> str:
        return f"{self.collection(parent_id)}/{child_id}"


@dataclass(frozen=True)
class ObjectSpec:
    name: str  # the CLI noun: deals, persons, ...
    path: str  # collection path relative to the version root
    version: Literal["v1", "v2"] = "v2"
    fields_entity: str | None = None  # the catalog's entity whose fields it has (deal, person…)
    system_fields: tuple[SystemField, ...] = ()
    required: tuple[str, ...] = ()  # every one needed on create
    required_one_of: tuple[str, ...] = ()  # at least one needed on create
    search_path: str | None = None  # v2 exact-match search
    search_fields: dict[str, str] = field(default_factory=dict)  # field code -> search `fields`
    custom_fields_nested: bool = True  # v2 `custom_fields` object; v1 flat hash keys
    id_type: type = int  # leads have UUID ids
    modes: tuple[Mode, ...] = ("insert", "update", "upsert", "delete")
    merge_path: str | None = None  # v1 PUT {id}/merge
    replica_table: str | None = None  # table name in a `pdsync sync` replica
    update_method: str = "PATCH"  # v1 notes still use PUT
    link: LinkSpec | None = None  # set for children of a record (deal products, followers…)

    @property
    def label(self) -> str:
        return self.name

    def record_path(self, record_id: object) -> str:
        return f"{self.path}/{record_id}"


_OWNER = SystemField("owner_id", "user", ("owner", "owner_email", "user_id", "user"))
_ORG = SystemField("org_id", "org", ("organization", "org", "org_name", "organization_name"))
_PERSON = SystemField("person_id", "people", ("person", "person_email"))
_VISIBLE = SystemField("visible_to", "visible_to")
_LABELS = SystemField("label_ids", "set", ("labels", "label"))

DEALS = ObjectSpec(
    name="deals",
    path="deals",
    fields_entity="deal",
    system_fields=(
        SystemField("title", "varchar", ("deal_title",)),
        SystemField("value", "monetary", ("deal_value", "amount")),
        SystemField("currency", "varchar"),
        _OWNER,
        _PERSON,
        _ORG,
        SystemField("pipeline_id", "pipeline", ("pipeline",)),
        SystemField("stage_id", "stage", ("stage",)),
        SystemField("status", "status"),
        SystemField("expected_close_date", "date", ("close_date",)),
        SystemField("probability", "double"),
        SystemField("lost_reason", "varchar"),
        _VISIBLE,
        _LABELS,
    ),
    required=("title",),
    search_path="deals/search",
    search_fields={"title": "title"},
    modes=("insert", "update", "upsert", "delete", "merge"),
    merge_path="deals/{id}/merge",
    replica_table="deals",
)

PERSONS = ObjectSpec(
    name="persons",
    path="persons",
    fields_entity="person",
    system_fields=(
        SystemField("name", "varchar", ("full_name",)),
        SystemField("emails", "emails", ("email", "email_address", "primary_email")),
        SystemField("phones", "phones", ("phone", "phone_number", "primary_phone")),
        _OWNER,
        _ORG,
        SystemField("job_title", "varchar"),
        SystemField("birthday", "date"),
        _VISIBLE,
        _LABELS,
    ),
    required=("name",),
    search_path="persons/search",
    search_fields={"name": "name", "emails": "email", "phones": "phone"},
    modes=("insert", "update", "upsert", "delete", "merge"),
    merge_path="persons/{id}/merge",
    replica_table="persons",
)

ORGANIZATIONS = ObjectSpec(
    name="organizations",
    path="organizations",
    fields_entity="organization",
    system_fields=(
        SystemField("name", "varchar", ("organization_name", "org_name")),
        SystemField("address", "address"),
        _OWNER,
        _VISIBLE,
        _LABELS,
    ),
    required=("name",),
    search_path="organizations/search",
    search_fields={"name": "name"},
    modes=("insert", "update", "upsert", "delete", "merge"),
    merge_path="organizations/{id}/merge",
    replica_table="organizations",
)

ACTIVITIES = ObjectSpec(
    name="activities",
    path="activities",
    fields_entity="activity",
    system_fields=(
        SystemField("subject", "varchar"),
        SystemField("type", "varchar", ("activity_type",)),
        _OWNER,
        SystemField("deal_id", "deal", ("deal",)),
        SystemField("lead_id", "lead", ("lead",)),
        _PERSON,
        _ORG,
        SystemField("due_date", "date"),
        SystemField("due_time", "time"),
        SystemField("duration", "time"),
        SystemField("busy", "boolean"),
        SystemField("done", "boolean"),
        SystemField("note", "text"),
        SystemField("public_description", "text"),
        SystemField("priority", "int"),
        # v2 sets an activity's person through its primary participant (person_id is
        # read-only there): [{"person_id": 7, "primary": true}, ...]
        SystemField("participants", "json"),
    ),
    replica_table="activities",
)

PRODUCTS = ObjectSpec(
    name="products",
    path="products",
    fields_entity="product",
    system_fields=(
        SystemField("name", "varchar", ("product_name",)),
        SystemField("code", "varchar", ("sku", "product_code")),
        SystemField("description", "text"),
        SystemField("unit", "varchar"),
        SystemField("tax", "double"),
        SystemField("category", "varchar"),
        SystemField("is_linkable", "boolean"),
        _OWNER,
        _VISIBLE,
        SystemField("prices", "json"),
    ),
    required=("name",),
    search_path="products/search",
    search_fields={"name": "name", "code": "code"},
    replica_table="products",
)

LEADS = ObjectSpec(
    name="leads",
    path="leads",
    version="v1",
    fields_entity="deal",  # leads inherit the deals' custom fields
    system_fields=(
        SystemField("title", "varchar", ("lead_title",)),
        _OWNER,
        _PERSON,
        SystemField("organization_id", "org", ("organization", "org", "org_id", "org_name")),
        SystemField("value", "lead_value", ("amount",)),
        SystemField("expected_close_date", "date", ("close_date",)),
        SystemField("label_ids", "lead_labels", ("labels",)),
        SystemField("was_seen", "boolean"),
        SystemField("visible_to", "visible_to_text"),
        SystemField("channel", "int"),
        SystemField("channel_id", "varchar"),
    ),
    required=("title",),
    required_one_of=("person_id", "organization_id"),
    search_path="leads/search",
    search_fields={"title": "title"},
    custom_fields_nested=False,
    id_type=str,
    replica_table="leads",
)

NOTES = ObjectSpec(
    name="notes",
    path="notes",
    version="v1",
    system_fields=(
        SystemField("content", "text", ("note", "body", "text")),
        SystemField("deal_id", "deal", ("deal",)),
        _PERSON,
        _ORG,
        SystemField("lead_id", "lead", ("lead",)),
        SystemField("user_id", "user", ("owner", "owner_email", "user")),
        SystemField("add_time", "datetime"),
        SystemField("pinned_to_deal_flag", "boolean"),
        SystemField("pinned_to_person_flag", "boolean"),
        SystemField("pinned_to_organization_flag", "boolean"),
        SystemField("pinned_to_lead_flag", "boolean"),
    ),
    required=("content",),
    required_one_of=("deal_id", "person_id", "org_id", "lead_id"),
    custom_fields_nested=False,
    update_method="PUT",
    replica_table="notes",
)

_DEAL = SystemField("deal_id", "deal", ("deal", "deal_title"))

DEAL_PRODUCTS = ObjectSpec(
    name="deal_products",
    path="deals",
    system_fields=(
        _DEAL,
        SystemField("product_id", "product", ("product", "product_code", "product_name", "sku")),
        SystemField("item_price", "double", ("price",)),
        SystemField("quantity", "double", ("qty",)),
        SystemField("tax", "double"),
        SystemField("tax_method", "varchar"),
        SystemField("discount", "double"),
        SystemField("discount_type", "varchar"),
        SystemField("comments", "text", ("comment",)),
        SystemField("is_enabled", "boolean", ("enabled",)),
        SystemField("product_variation_id", "int"),
        SystemField("billing_frequency", "varchar"),
        SystemField("billing_frequency_cycles", "int"),
        SystemField("billing_start_date", "date"),
    ),
    required=("item_price", "quantity"),  # on attach, besides the deal and the product
    link=LinkSpec(
        "deal_id", "deals", "products", "product_id", has_values=True, noun="deal product"
    ),
)

DEAL_PARTICIPANTS = ObjectSpec(
    name="deal_participants",
    path="deals",
    version="v1",  # Pipedrive has no v2 participants endpoint
    system_fields=(_DEAL, SystemField("person_id", "people", ("person", "person_email", "email"))),
    modes=("insert", "upsert", "delete"),
    link=LinkSpec("deal_id", "deals", "participants", "person_id", noun="participant"),
)

_FOLLOWER_USER = SystemField("user_id", "user", ("user", "user_email", "follower", "email"))


def _followers(name: str, parent: SystemField, parent_path: str) -> ObjectSpec:
    return ObjectSpec(
        name=name,
        path=parent_path,
        system_fields=(parent, _FOLLOWER_USER),
        modes=("insert", "upsert", "delete"),
        link=LinkSpec(parent.code, parent_path, "followers", "user_id", "user_id", noun="follower"),
    )


DEAL_FOLLOWERS = _followers("deal_followers", _DEAL, "deals")
PERSON_FOLLOWERS = _followers(
    "person_followers", SystemField("person_id", "people", ("person", "person_email")), "persons"
)
ORGANIZATION_FOLLOWERS = _followers(
    "organization_followers",
    SystemField("org_id", "org", ("organization", "org", "organization_id", "org_name")),
    "organizations",
)
PRODUCT_FOLLOWERS = _followers(
    "product_followers",
    SystemField("product_id", "product", ("product", "product_code")),
    "products",
)

RECORD_OBJECTS = (DEALS, PERSONS, ORGANIZATIONS, ACTIVITIES, PRODUCTS, LEADS, NOTES)
LINK_OBJECTS = (
    DEAL_PRODUCTS,
    DEAL_PARTICIPANTS,
    DEAL_FOLLOWERS,
    PERSON_FOLLOWERS,
    ORGANIZATION_FOLLOWERS,
    PRODUCT_FOLLOWERS,
)
OBJECTS: dict[str, ObjectSpec] = {spec.name: spec for spec in (*RECORD_OBJECTS, *LINK_OBJECTS)}

# Singular and common spellings users type.
_ALIASES = {
    "deal": "deals",
    "person": "persons",
    "people": "persons",
    "contacts": "persons",
    "organization": "organizations",
    "orgs": "organizations",
    "org": "organizations",
    "activity": "activities",
    "product": "products",
    "lead": "leads",
    "note": "notes",
    "deal_product": "deal_products",
    "participants": "deal_participants",
    "deal_participant": "deal_participants",
}


def get_object(name: str) -> ObjectSpec:
    """The spec of an object by its name (``deals``) or a common spelling (``deal``)."""
    key = name.strip().lower()
    spec = OBJECTS.get(_ALIASES.get(key, key))
    if spec is None:
        raise ConfigError(
            f"pdsync cannot push {name!r}.",
            hint=f"Choose one of: {', '.join(OBJECTS)}.",
        )
    return spec


def check_mode(spec: ObjectSpec, mode: str) -> Mode:
    """The mode if this object supports it, else a ConfigError naming the supported ones."""
    for known in spec.modes:
        if known == mode:
            return known
    why = ""
    if spec.link is not None and not spec.link.has_values and mode == "update":
        why = f" A {spec.link.noun} has no fields to update: it is there or it is not."
    raise ConfigError(
        f"{spec.name} cannot be pushed with --mode {mode}.{why}",
        hint=f"{spec.name} supports: {', '.join(spec.modes)}"
        + (" (insert adds, delete removes)." if why else "."),
    )
