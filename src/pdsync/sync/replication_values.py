"""Validators of replication-file values: each mistake a ConfigError naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any, Literal

from pdsync.errors import ConfigError

Mode = Literal["incremental", "full_refresh"]

_MODE_SPELLINGS: dict[str, Mode] = {
    "incremental": "incremental",
    "full-refresh": "full_refresh",
    "full_refresh": "full_refresh",
}


def names_list(raw: Any, origin: str, where: str) -> tuple[str, ...]:
    """A list of stream names or patterns (a single string is a list of one)."""
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise ConfigError(
            f"{where} in {origin} must be a list of stream names or patterns, not {raw!r}.",
            hint="Write e.g. exclude: ['mail_*', webhooks].",
        )
    return tuple(i.strip() for i in items)


def mode_value(value: Any, origin: str, where: str) -> Mode | None:
    if value is None:
        return None
    mode = _MODE_SPELLINGS.get(str(value).strip().lower())
    if mode is None:
        raise ConfigError(
            f"{where}.mode in {origin} is {value!r}.",
            hint="Use `incremental` or `full-refresh`.",
        )
    return mode


def parse_since(value: Any, *, where: str = "--since") -> datetime:
    """A date or timestamp (``2024-01-01``, ``2024-01-01T12:00:00Z``) as an aware UTC datetime."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(
                f"{where} is {value!r}, which is not a date.",
                hint="Give a date as YYYY-MM-DD or a UTC timestamp as YYYY-MM-DDTHH:MM:SSZ.",
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def mapping(raw: Any, origin: str, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where} in {origin} must be a mapping (key: value lines), not {type(raw).__name__}.",
            hint="See docs/sync.md for the replication file's shape.",
        )
    return raw


def reject_unknown(
    doc: Mapping[str, Any], allowed: tuple[str, ...], origin: str, where: str
) -> None:
    unknown = [str(key) for key in doc if key not in allowed]
    if unknown:
        raise ConfigError(
            f"Unknown key {unknown[0]!r} at {where} of {origin}.",
            hint=f"Allowed keys there: {', '.join(allowed)}.",
        )


def optional_text(value: Any, origin: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{where} in {origin} must be a non-empty string, not {value!r}.",
            hint="Quote the value if it contains special characters.",
        )
    return value.strip()
