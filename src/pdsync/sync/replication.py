"""The replication file: which streams go where, in the shape Sling users know.

```yaml
source: MY_PIPEDRIVE             # a named connection (optional; flags/env otherwise)
target: sqlite:///pipedrive.db   # a destination URL (optional; --target wins)
defaults:
  mode: incremental              # incremental | full-refresh
  object: 'main.{stream_name}'   # table per stream; the schema part is for destinations with schemas
  since: 2024-01-01              # like Sling's anchor_date: limits the first sync
  extended_requests: true        # false: no per-record calls for filters.conditions & co.
streams:
  '*':                           # every stream of the catalog (fnmatch patterns work: '*_fields')
  deals:
    mode: full-refresh
  notes:
    disabled: true
  deal_flow:                     # opt-in streams (a call per parent) are selected by name only
exclude: ['mail_*', webhooks]   # names or patterns taken out of whatever was selected
```

Opt-in streams (``StreamSpec.opt_in``: deal flow, changelogs, per-parent children) cost
a call per changed parent, and their first sync one per parent: a pattern (``'*'``,
``'deal_*'``, on the command line too) never selects them, only their exact name does.

:func:`load_replication` parses and validates a file; :func:`select_streams`
resolves the file, the stream names given on the command line and
``--full-refresh`` against the catalog into one :class:`StreamSelection` per
stream. Every mistake is a :class:`~pdsync.errors.ConfigError` naming the key
and saying what is allowed.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from pdsync.errors import ConfigError
from pdsync.sync.replication_values import Mode as Mode  # re-exported
from pdsync.sync.replication_values import (
    mapping,
    mode_value,
    names_list,
    optional_text,
    reject_unknown,
)
from pdsync.sync.replication_values import parse_since as parse_since  # re-exported

_TOP_KEYS = ("source", "target", "defaults", "streams", "exclude")
_DEFAULT_KEYS = ("mode", "object", "since", "extended_requests")
_STREAM_KEYS = ("mode", "object", "since", "disabled", "extended_requests")
DEFAULT_OBJECT = "{stream_name}"


@dataclass(frozen=True)
class StreamOptions:
    """What the file says about one stream name or pattern (None = not said)."""

    mode: Mode | None = None
    object: str | None = None
    since: datetime | None = None
    disabled: bool = False
    extended_requests: bool | None = None


@dataclass(frozen=True)
class ReplicationConfig:
    source: str | None = None
    target: str | None = None
    defaults: StreamOptions = StreamOptions()
    # name or fnmatch pattern -> options, in file order (later entries win over patterns)
    streams: dict[str, StreamOptions] = field(default_factory=dict)
    path: str | None = None
    exclude: tuple[str, ...] = ()  # names or patterns taken out of the selection


@dataclass(frozen=True)
class StreamSelection:
    """One stream to sync, resolved: its mode, destination table and first-sync limit."""

    name: str
    mode: Mode
    table: str
    since: datetime | None = None
    schema: str | None = None  # from object: 'schema.{stream_name}'; None when not given
    # False: columns only a single-record call returns (filters.conditions …) stay empty.
    extended_requests: bool = True


def load_replication(path: str | Path) -> ReplicationConfig:
    """Read and validate a replication file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the replication file {file}: {exc.strerror or exc}.",
            hint="Check the path given to --config (it is relative to the current directory).",
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"The replication file {file} is not UTF-8 text.",
            hint="Save it as a UTF-8 YAML file.",
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ConfigError(
            f"The replication file {file} is not valid YAML{line}.",
            hint="Fix the YAML syntax; `python -c 'import yaml,sys; yaml.safe_load(open(sys.argv[1]))' FILE` shows the details.",
        ) from None
    return parse_replication(raw, origin=str(file))


def parse_replication(raw: Any, *, origin: str = "replication file") -> ReplicationConfig:
    """Validate an already-parsed replication document."""
    if raw is None:
        raw = {}
    doc = mapping(raw, origin, "the document")
    reject_unknown(doc, _TOP_KEYS, origin, "top level")
    defaults = _stream_options(doc.get("defaults"), origin, "defaults", _DEFAULT_KEYS)
    streams_raw = doc.get("streams")
    streams: dict[str, StreamOptions] = {}
    if streams_raw is not None:
        for name, options in mapping(streams_raw, origin, "streams").items():
            streams[str(name)] = _stream_options(options, origin, f"streams.{name}", _STREAM_KEYS)
    return ReplicationConfig(
        source=optional_text(doc.get("source"), origin, "source"),
        target=optional_text(doc.get("target"), origin, "target"),
        defaults=defaults,
        streams=streams,
        path=origin,
        exclude=names_list(doc.get("exclude"), origin, "exclude"),
    )


def select_streams(
    catalog: Mapping[str, bool],
    *,
    requested: Sequence[str] = (),
    config: ReplicationConfig | None = None,
    full_refresh: bool = False,
    since: datetime | None = None,
    opt_in: frozenset[str] = frozenset(),
    exclude: Sequence[str] = (),
    extended_requests: bool | None = None,
) -> list[StreamSelection]:
    """Resolve which streams to sync and how.

    ``catalog`` maps every stream name to whether it supports incremental
    reads. ``requested`` (command-line names or patterns such as ``'mail*'``) narrows
    the selection; without it the file's ``streams`` decide, and without a file every
    stream is synced. Streams in ``opt_in`` are selected by their exact name only.
    ``exclude`` (and the file's ``exclude``) takes names or patterns out.
    ``extended_requests`` (the command line's say) wins over the file's.
    """
    config = config or ReplicationConfig()
    for pattern in requested:
        _check_pattern(pattern, catalog, "stream")
    for pattern in config.streams:
        _check_pattern(pattern, catalog, f"stream in {config.path}")
    for pattern in (*exclude, *config.exclude):
        _check_pattern(pattern, catalog, "stream to exclude")
    names = _chosennames_list(catalog, requested, config, opt_in)
    dropped = (*exclude, *config.exclude)
    names = [n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in dropped)]
    if not names:
        raise ConfigError(
            "No stream is left to sync.",
            hint="Check the stream names, patterns and excludes; opt-in streams "
            "(`pdsync discover --offline` marks them) must be named exactly.",
        )
    return [
        _resolve_one(
            name,
            catalog[name],
            config,
            full_refresh=full_refresh,
            since=since,
            extended_requests=extended_requests,
        )
        for name in names
    ]


def opt_in_left_out(
    requested: Sequence[str], config: ReplicationConfig | None, opt_in: frozenset[str]
) -> list[str]:
    """Opt-in streams a pattern matched but did not select (to say how to get them)."""
    patterns = list(requested) or list(config.streams if config else ())
    named = set(requested) | set(config.streams if config else ())
    return sorted(
        name
        for name in opt_in - named
        # `'*'` means "the usual set": only a narrower pattern is worth a word.
        if any(fnmatch.fnmatchcase(name, p) for p in patterns if p not in (name, "*"))
    )


def _selects(pattern: str, name: str, opt_in: frozenset[str]) -> bool:
    """Does ``pattern`` select ``name``? Opt-in streams answer to their exact name only."""
    if pattern == name:
        return True
    return name not in opt_in and fnmatch.fnmatchcase(name, pattern)


def _chosennames_list(
    catalog: Mapping[str, bool],
    requested: Sequence[str],
    config: ReplicationConfig,
    opt_in: frozenset[str],
) -> list[str]:
    if requested:
        # Names asked for explicitly run even if the file disables them: the user was explicit.
        explicit = [n for n in requested if n in catalog]
        matched = [n for n in catalog if any(_selects(p, n, opt_in) for p in requested)]
        return list(dict.fromkeys(explicit + matched))
    if not config.streams:
        return [name for name in catalog if name not in opt_in]
    chosen = []
    for name in catalog:
        if name in opt_in and name not in config.streams:
            continue
        options = _matching_options(name, config)
        if options and not options[-1].disabled:
            chosen.append(name)
    return chosen


def _check_pattern(pattern: str, catalog: Mapping[str, bool], what: str) -> None:
    if not any(fnmatch.fnmatchcase(name, pattern) for name in catalog):
        _check_known([pattern], catalog, what)


def _resolve_one(
    name: str,
    incremental_capable: bool,
    config: ReplicationConfig,
    *,
    full_refresh: bool,
    since: datetime | None,
    extended_requests: bool | None = None,
) -> StreamSelection:
    merged = _merge(config.defaults, *_matching_options(name, config))
    extended = extended_requests if extended_requests is not None else merged.extended_requests
    mode: Mode = merged.mode or "incremental"
    if full_refresh or not incremental_capable:
        mode = "full_refresh"
    obj = merged.object or DEFAULT_OBJECT
    return StreamSelection(
        name=name,
        mode=mode,
        table=table_name(obj, name, origin=config.path),
        since=since or merged.since,
        schema=schema_name(obj, name),
        extended_requests=extended is not False,
    )


def schema_name(template: str, stream: str) -> str | None:
    """``'crm.{stream_name}'`` → ``crm``; None without a schema part."""
    rendered = template.format(stream_name=stream)
    schema = rendered.rsplit(".", 1)[0].strip() if "." in rendered else ""
    return schema or None


# Each database's own default schema: naming it changes nothing.
_DEFAULT_SCHEMAS = frozenset({"main", "public"})


def target_with_schema(target: str | None, selections: Sequence[StreamSelection]) -> str | None:
    """Put the replication file's schema into a PostgreSQL target URL (``?schema=``).

    A URL that names its schema itself wins. The destination holds one schema, so the
    streams of one run must agree on it.
    """
    schemas = {s.schema for s in selections if s.schema and s.schema not in _DEFAULT_SCHEMAS}
    if not schemas or not target or not target.startswith(("postgresql:", "postgres:")):
        return target
    if len(schemas) > 1:
        raise ConfigError(
            f"The replication file puts streams in several schemas ({', '.join(sorted(schemas))}).",
            hint="One run writes one schema: use the same object: 'schema.{stream_name}' for "
            "every stream, or run pdsync sync once per schema with its own --target.",
        )
    query = urlsplit(target).query
    if "schema" in parse_qs(query):
        return target
    return f"{target}{'&' if query else '?'}schema={schemas.pop()}"


def table_name(template: str, stream: str, *, origin: str | None = None) -> str:
    """``'schema.{stream_name}'`` → the table name (the part after the last dot)."""
    try:
        rendered = template.format(stream_name=stream)
    except (KeyError, IndexError, ValueError):
        raise ConfigError(
            f"The object template {template!r} in {origin or 'the replication file'} uses an unknown placeholder.",
            hint="Use only {stream_name}, e.g. object: 'main.{stream_name}'.",
        ) from None
    table = rendered.rsplit(".", 1)[-1].strip()
    if not table:
        raise ConfigError(
            f"The object template {template!r} gives an empty table name for {stream!r}.",
            hint="Use a template such as 'main.{stream_name}' or 'pd_{stream_name}'.",
        )
    return table


def _matching_options(name: str, config: ReplicationConfig) -> list[StreamOptions]:
    """Options that apply to ``name``: patterns first (file order), then the exact entry."""
    patterns = [
        opts
        for key, opts in config.streams.items()
        if key != name and fnmatch.fnmatchcase(name, key)
    ]
    exact = [config.streams[name]] if name in config.streams else []
    return patterns + exact


def _merge(*layers: StreamOptions) -> StreamOptions:
    mode, obj, since, disabled = None, None, None, False
    extended: bool | None = None
    for layer in layers:
        mode = layer.mode or mode
        obj = layer.object or obj
        since = layer.since or since
        disabled = layer.disabled
        extended = layer.extended_requests if layer.extended_requests is not None else extended
    return StreamOptions(
        mode=mode, object=obj, since=since, disabled=disabled, extended_requests=extended
    )


def _check_known(names: Sequence[str], catalog: Mapping[str, bool], what: str) -> None:
    for name in names:
        if name in catalog:
            continue
        close = difflib.get_close_matches(name, list(catalog), n=3)
        suggestion = f"Did you mean {', '.join(close)}? " if close else ""
        raise ConfigError(
            f"Unknown {what}: {name!r}.",
            hint=f"{suggestion}Run `pdsync discover --offline` to list every stream.",
        )


def _stream_options(raw: Any, origin: str, where: str, allowed: tuple[str, ...]) -> StreamOptions:
    if raw is None:
        return StreamOptions()
    doc = mapping(raw, origin, where)
    reject_unknown(doc, allowed, origin, where)
    disabled = doc.get("disabled", False)
    if not isinstance(disabled, bool):
        raise ConfigError(
            f"{where}.disabled in {origin} must be true or false, not {disabled!r}.",
            hint="Write `disabled: true` to skip a stream.",
        )
    extended = doc.get("extended_requests")
    if extended is not None and not isinstance(extended, bool):
        raise ConfigError(
            f"{where}.extended_requests in {origin} must be true or false, not {extended!r}.",
            hint="Write `extended_requests: false` to skip the per-record calls.",
        )
    return StreamOptions(
        mode=mode_value(doc.get("mode"), origin, where),
        object=optional_text(doc.get("object"), origin, f"{where}.object"),
        since=parse_since(doc["since"], where=f"{where}.since in {origin}")
        if doc.get("since") is not None
        else None,
        disabled=disabled,
        extended_requests=extended,
    )
