"""The event destination's YAML configuration.

```yaml
write_key: my-write-key            # or env PDSYNC_EVENTS_WRITE_KEY
user_id_field: App user id         # person custom field holding the app's userId (name or key)
group_id_field: App group id       # organization custom field holding the groupId
create_users: true                 # create persons that do not exist yet
outbox: pdsync-events.db           # the durable SQLite outbox (relative to this file)
mappings:                          # trait/property name -> Pipedrive field name or key
  persons: {role: Job title}
  organizations: {plan: Plan}
  leads: {utm_source: Lead source}
track_objects:                     # beyond the seed: what a track event upserts
  Order Completed: deal            # lead (default) | deal | activity | note
```

The Pipedrive connection is not here: it comes from the usual settings
(flags > PIPEDRIVE_API_TOKEN / PIPEDRIVE_BASE_URL > config file).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from pdsync.errors import ConfigError
from pdsync.redact import register_secret

WRITE_KEY_ENV = "PDSYNC_EVENTS_WRITE_KEY"
TRACK_OBJECTS = ("lead", "deal", "activity", "note")
MAPPED_ENTITIES = ("persons", "organizations", "leads", "deals", "activities", "notes")
# Owner fields name Pipedrive *users* (the account's salespeople), never the app's users.
OWNER_FIELDS = frozenset({"owner_id", "user_id", "creator_user_id", "creator_id"})


@dataclass(frozen=True)
class RetrySettings:
    max_attempts: int = 12
    backoff_base: float = 2.0  # seconds before the 2nd attempt; doubles each time
    backoff_max: float = 600.0


@dataclass(frozen=True)
class EventsConfig:
    write_key: str | None = None
    user_id_field: str | None = None
    group_id_field: str | None = None
    create_users: bool = False
    outbox: Path = Path("pdsync-events.db")
    mappings: dict[str, dict[str, str]] = field(default_factory=dict)
    track_objects: dict[str, str] = field(default_factory=dict)
    activity_type: str = "task"
    retry: RetrySettings = RetrySettings()

    def __repr__(self) -> str:  # the write key is a secret
        return f"EventsConfig(outbox={str(self.outbox)!r}, create_users={self.create_users})"

    def mapping(self, entity: str) -> dict[str, str]:
        return self.mappings.get(entity, {})

    def track_object(self, event_name: str) -> str:
        return self.track_objects.get(event_name, "lead")


def load_events_config(
    path: str | Path | None, *, env: Mapping[str, str] | None = None
) -> EventsConfig:
    """Read the YAML file (or defaults when ``path`` is None); the env may supply the write key."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        data = _read_yaml(Path(path))
        base = Path(path).resolve().parent
    config = build_events_config(data, base=base)
    write_key = config.write_key or env.get(WRITE_KEY_ENV) or None
    register_secret(write_key)
    return replace(config, write_key=write_key)


def build_events_config(data: Mapping[str, Any], *, base: Path | None = None) -> EventsConfig:
    """Validate a config mapping; every mistake is a ConfigError naming the key."""
    known = ({f.name for f in fields(EventsConfig)} - {"retry"}) | set(fields_of_retry())
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"Unknown key(s) in the events config: {', '.join(unknown)}.",
            hint=f"Known keys: {', '.join(sorted(known))}.",
        )
    outbox = Path(str(data.get("outbox") or "pdsync-events.db"))
    if not outbox.is_absolute() and base is not None:
        outbox = base / outbox
    return EventsConfig(
        write_key=_opt_str(data, "write_key"),
        user_id_field=_opt_str(data, "user_id_field"),
        group_id_field=_opt_str(data, "group_id_field"),
        create_users=_bool(data, "create_users"),
        outbox=outbox,
        mappings=_mappings(data.get("mappings") or {}),
        track_objects=_track_objects(data.get("track_objects") or {}),
        activity_type=_opt_str(data, "activity_type") or "task",
        retry=_retry(data),
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"Events config file not found: {path}",
            hint="Pass --config with the path of your events YAML file.",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"Events config {path} is not valid YAML: {exc}",
            hint="Fix the YAML syntax at the line named above.",
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"Events config {path} must be a mapping of settings.")
    return loaded


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ConfigError(f"Events config: `{key}` must be a string.")
    return str(value) or None


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"Events config: `{key}` must be true or false.")
    return value


def _mappings(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            "Events config: `mappings` must map persons/organizations/leads to fields."
        )
    result: dict[str, dict[str, str]] = {}
    for entity, pairs in value.items():
        if entity not in MAPPED_ENTITIES:
            raise ConfigError(
                f"Events config: unknown mapping section {entity!r}.",
                hint=f"Use one of: {', '.join(MAPPED_ENTITIES)}.",
            )
        if not isinstance(pairs, Mapping):
            raise ConfigError(f"Events config: `mappings.{entity}` must map names to fields.")
        result[entity] = {str(k): _target_field(entity, str(k), v) for k, v in pairs.items()}
    return result


def _target_field(entity: str, source: str, target: Any) -> str:
    if not isinstance(target, str) or not target:
        raise ConfigError(
            f"Events config: `mappings.{entity}.{source}` must name a Pipedrive field."
        )
    if target in OWNER_FIELDS:
        raise ConfigError(
            f"Events config: `mappings.{entity}.{source}` targets the owner field {target!r}.",
            hint="Owner fields name Pipedrive users, not your app's users; they are never set from events.",
        )
    return target


def _track_objects(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError("Events config: `track_objects` must map event names to an object type.")
    result = {str(k): str(v) for k, v in value.items()}
    for name, kind in result.items():
        if kind not in TRACK_OBJECTS:
            raise ConfigError(
                f"Events config: track_objects[{name!r}] is {kind!r}.",
                hint=f"Use one of: {', '.join(TRACK_OBJECTS)}.",
            )
    return result


def _retry(data: Mapping[str, Any]) -> RetrySettings:
    defaults = RetrySettings()
    try:
        settings = RetrySettings(
            max_attempts=int(data.get("max_attempts", defaults.max_attempts)),
            backoff_base=float(data.get("backoff_base", defaults.backoff_base)),
            backoff_max=float(data.get("backoff_max", defaults.backoff_max)),
        )
    except (TypeError, ValueError):
        raise ConfigError("Events config: max_attempts/backoff_* must be numbers.") from None
    if settings.max_attempts < 1 or settings.backoff_base <= 0:
        raise ConfigError("Events config: max_attempts must be ≥ 1 and backoff_base > 0.")
    return settings


def fields_of_retry() -> list[str]:
    return [f.name for f in fields(RetrySettings)]
