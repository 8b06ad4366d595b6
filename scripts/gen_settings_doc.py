"""Generate docs/settings.md from the settings the code declares (run after changing any).

python scripts/gen_settings_doc.py          # rewrite docs/settings.md
python scripts/gen_settings_doc.py --check  # exit 1 if the file is stale

Names, defaults and environment variables come from the code itself: ``pdsync.config``
(connection fields, ``SETTINGS``), the click options that read a variable, the events
config and emulator dataclasses, and the replication file's key lists. What the code
does not say in words is written here, keyed by name; a name the code gains without a
description here stops the generator (``MissingDescription``), so the page never omits one.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
from docfile import write_or_check

from pdsync import config as pdconfig
from pdsync.cli import main
from pdsync.emulator.config import EmulatorConfig
from pdsync.events_dest import config as events_config
from pdsync.sync import replication

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
REGENERATE = "python scripts/gen_settings_doc.py"


class MissingDescription(KeyError):
    """The code declares a setting this script has no words for: add them below."""


CONNECTION_HELP = {
    "api_token": "API token (Settings › Personal preferences › API); sent only in the `x-api-token` header",
    "company_domain": "`acme`, `acme.pipedrive.com` or `https://acme.pipedrive.com`",
    "base_url": "any API root URL, plain http allowed (the emulator, a proxy); wins over the domain",
    "oauth_client_id": "OAuth 2.0 app's client id",
    "oauth_client_secret": "OAuth 2.0 app's client secret",
    "oauth_refresh_token": "OAuth 2.0 refresh token (`pdsync auth login` saves one)",
    "oauth_token_url": "OAuth token endpoint",
    "oauth_authorize_url": "OAuth authorize endpoint",
}

EVENTS_HELP = {
    "write_key": f"secret clients send (HTTP Basic user or `writeKey`); or env `{events_config.WRITE_KEY_ENV}`; required by `serve`",
    "user_id_field": "person custom field holding the app's `userId` (name, column or key)",
    "group_id_field": "organization custom field holding the `groupId`",
    "create_users": "create persons (and organizations) that do not exist yet",
    "outbox": "the durable SQLite outbox, relative to the config file",
    "mappings": "`persons`/`organizations`/`leads`/`deals`/`activities`/`notes` → {trait or property: Pipedrive field}",
    "track_objects": "event name → what a `track` creates: "
    + " \\| ".join(events_config.TRACK_OBJECTS),
    "activity_type": "activity type used for `track_objects: activity`",
    "max_attempts": "transient failures before an event becomes a dead letter",
    "backoff_base": "seconds before the 2nd attempt; doubles each time",
    "backoff_max": "longest wait between attempts, seconds",
}

REPLICATION_HELP = {
    "source": "a named connection (`pdsync conns` / env var); flags and `PIPEDRIVE_*` otherwise",
    "target": "a destination URL; `--target` wins",
    "defaults": "options for every stream: `mode`, `object`, `since`, `extended_requests`",
    "streams": "stream name or fnmatch pattern (`'*'`, `'*_fields'`) → options; exact names win "
    "over patterns; opt-in streams (a call per parent) are selected by their exact name only",
    "mode": "`incremental` or `full-refresh` (streams without an incremental read are always full)",
    "object": "table per stream; `{stream_name}` is the only placeholder, the part after the last dot is the table",
    "since": "a date or UTC timestamp limiting a first sync (like Sling's `anchor_date`)",
    "disabled": "`true` skips the stream unless it is named on the command line",
    "exclude": "stream names or patterns taken out of the selection (`['mail_*', webhooks]`)",
    "extended_requests": "`false`: no per-record calls for columns only single records return "
    "(`filters.conditions`, `permission_sets.contents`); the columns stay empty",
}

EMULATOR_HELP = {
    "seed": "seed of the generated account (same seed, same data)",
    "deals": "number of deals; other objects in proportion (`--size`)",
    "plan": "Pipedrive plan: sets the burst limits and the daily budget",
    "seats": "seats: scale the daily token budget",
    "token": "API token clients must send",
    "company_domain": "the company domain `/v1/users/me` reports",
    "latency_ms": "base latency per request, ms",
    "latency_per_record_ms": "added per record a list returns (when `latency_ms` > 0)",
    "faults": "`rate=0.2[,kinds=500\\|502\\|…]` or `script=PATH`, see [faults](emulator-limits-and-faults.md)",
    "rate_limits": "burst window and daily budget on (off for throughput benchmarks)",
    "daily_budget": "overrides 30,000 × plan multiplier × seats",
    "oauth_client_id": "client id the emulator's OAuth server accepts",
    "oauth_client_secret": "client secret the emulator's OAuth server accepts",
    "access_token_ttl": "OAuth access token lifetime, seconds",
    "webhook_retry_delays": "seconds between webhook delivery attempts",
    "webhook_timeout": "seconds a webhook receiver has to answer",
    "webhook_faults": "`drop=0.02,duplicate=0.05,reorder=0.05[,delay=…]`, see [faults](emulator-limits-and-faults.md#webhooks)",
    "extra_tokens": "more API tokens: token → user id",
    "quirks": "deliberate departures from Pipedrive (`ignore_sort`), see [faults](emulator-limits-and-faults.md)",
}

# Variables the code reads without declaring them as data (checked against src/ by
# tests/docs/test_settings_doc.py, which also fails on a PDSYNC_/PIPEDRIVE_ name missing here).
OTHER_ENV = {
    "PDSYNC_CONFIG_DIR": "the config directory (`config.yaml`, `connections.yaml`)",
    "PDSYNC_BACKUP_PASSPHRASE": "passphrase of an encrypted backup store (`pdsync backup create --encrypt`)",
    events_config.WRITE_KEY_ENV: "the events write key when the events config has no `write_key`",
    "XDG_CONFIG_HOME": "config directory is `$XDG_CONFIG_HOME/pdsync` (default `~/.config/pdsync`)",
    "APPDATA": "on Windows the config directory is `%APPDATA%\\pdsync`",
    "PDSYNC_LISTEN_USER": "`pdsync listen`: the Basic user of webhooks you manage (`--no-register`)",
    "PDSYNC_LISTEN_PASSWORD": "`pdsync listen`: their password (16+ characters); unset: generated",
    "XDG_STATE_HOME": "push journals for standard input go to `$XDG_STATE_HOME/pdsync/push` (default `~/.local/state`)",
}

INTRO = """\
# Settings

<!-- Generated by scripts/gen_settings_doc.py from the code's own declarations; do not edit. -->

Every setting pdsync reads: environment variables, the config file, named connections,
the replication file, the events config and the emulator. Precedence, highest first:
**flags > environment > config file > defaults**; `pdsync config show [--json]` prints
each effective value and where it came from (`flag`, `env NAME`, `file PATH`, `default`),
secrets masked. Command flags are in the [CLI reference](cli.md); how connections work
is in [connections](connections.md).
"""


def described(names: Iterator[str] | list[str], words: Mapping[str, str], what: str) -> list[str]:
    """The description of each name, or MissingDescription naming the first one without."""
    out = []
    for name in names:
        if name not in words:
            raise MissingDescription(f"{what} `{name}` has no description in {__file__}")
        out.append(words[name])
    return out


def _cell(value: Any) -> str:
    """A default as the user would write it; "–" for none (click's UNSET sentinel included)."""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if not isinstance(value, (str, int, float, tuple)) or value in ("", ()):
        return "–"
    return f"`{value}`"


def _flags_by_name() -> dict[str, str]:
    """Option name -> its flags, from `pdsync check` (it takes every connection flag)."""
    check = main.get_command(click.Context(main), "check")
    assert check is not None
    return {
        p.name: "/".join(p.opts)
        for p in check.params
        if isinstance(p, click.Option) and p.name is not None
    }


def connection_section() -> list[str]:
    flags = _flags_by_name()
    aliases: dict[str, list[str]] = {}
    for alias, field_name in pdconfig._ALIASES.items():  # the alias table is the source of truth
        aliases.setdefault(field_name, []).append(alias)
    fields = list(pdconfig.CONNECTION_FIELDS)
    lines = [
        "## Connection (`PIPEDRIVE_*`)",
        "",
        "A connection field comes from its flag, then its variable, then the named connection",
        "(`--connection` / `PDSYNC_CONNECTION`: an environment variable of that name holding a",
        "JSON/YAML object, else an entry of `connections.yaml`, written by `pdsync conns set`,",
        "mode 0600). Secrets are masked everywhere pdsync prints.",
        "",
        "| Variable | Flag | Key in a connection object | Secret | Meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, meaning in zip(
        fields, described(fields, CONNECTION_HELP, "connection field"), strict=True
    ):
        keys = ", ".join(f"`{k}`" for k in [name, *aliases.get(name, [])])
        secret = "yes" if name in pdconfig.SECRET_FIELDS else ""
        flag = f"`{flags[name]}`" if name in flags else ""
        lines.append(
            f"| `{pdconfig.CONNECTION_ENV[name]}` | {flag} | {keys} | {secret} | {meaning} |"
        )
    ignored = ", ".join(f"`{k}`" for k, v in pdconfig._ALIASES.items() if not v)
    lines += [
        "",
        f"A connection object may also hold {ignored} (Sling's `type: pipedrive`), which is ignored;",
        "any other key is an error naming it. Without a base URL the root is",
        f"`https://{{domain}}.pipedrive.com`, else `{pdconfig.DEFAULT_API_ROOT}`;",
        f"OAuth defaults: token `{pdconfig.DEFAULT_OAUTH_TOKEN_URL}`,",
        f"authorize `{pdconfig.DEFAULT_OAUTH_AUTHORIZE_URL}`.",
        "",
    ]
    return lines


def pdsync_settings_section() -> list[str]:
    flags = _flags_by_name()
    lines = [
        "## pdsync's own settings (`PDSYNC_*`, `config.yaml`)",
        "",
        "Each is a variable `PDSYNC_<NAME>` or a key `<name>:` in `config.yaml` in the config",
        "directory. A value that does not parse is an error naming the setting (exit 2).",
        "",
        "| Variable | `config.yaml` key | Flag | Default | Meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in pdconfig.SETTINGS.values():
        flag = f"`{flags[spec.name]}`" if spec.name in flags else ""
        lines.append(
            f"| `{spec.env}` | `{spec.name}` | {flag} | {_cell(spec.default)} | {spec.help} |"
        )
    return [*lines, ""]


def _envvar_options() -> Iterator[tuple[str, str, click.Option]]:
    """(variable, command path, option) for every option that reads a variable."""

    def walk(command: click.Command, path: str, ctx: click.Context) -> Iterator[Any]:
        for param in command.params:
            if isinstance(param, click.Option) and isinstance(param.envvar, str):
                yield param.envvar, path, param
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    yield from walk(sub, f"{path} {name}", click.Context(sub, parent=ctx))

    yield from walk(main, "pdsync", click.Context(main))


def option_env_section() -> list[str]:
    lines = [
        "## Options read from the environment",
        "",
        "These command options take their default from a variable (the flag still wins).",
        "",
        "| Variable | Command | Option | Default |",
        "| --- | --- | --- | --- |",
    ]
    for envvar, path, option in sorted(_envvar_options(), key=lambda row: (row[0], row[1])):
        default = None if callable(option.default) else option.default
        lines.append(f"| `{envvar}` | `{path}` | `{'/'.join(option.opts)}` | {_cell(default)} |")
    return [*lines, ""]


def other_env_section() -> list[str]:
    lines = [
        "## Other environment variables",
        "",
        "| Variable | Meaning |",
        "| --- | --- |",
    ]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in OTHER_ENV.items()]
    lines += [
        "",
        "Tests only: `PDSYNC_TEST_POSTGRES_URL` (the PostgreSQL server the destination tests",
        "use, default `postgresql://postgres@127.0.0.1:5432/test`); with `CI` set, a missing",
        "server fails those tests instead of skipping them.",
        "",
    ]
    return lines


def _dataclass_rows(
    cls: Any,
    words: Mapping[str, str],
    what: str,
    skip: set[str],
    flags: Mapping[str, str] | None = None,
) -> list[str]:
    rows = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = None
        (meaning,) = described([f.name], words, what)
        flag = "" if flags is None else f" {flags.get(f.name, '')} |"
        rows.append(f"| `{f.name}` |{flag} {_cell(default)} | {meaning} |")
    return rows


def replication_section() -> list[str]:
    lines = [
        "## Replication file (`pdsync sync --config FILE`)",
        "",
        "YAML in the shape Sling users know; every key is optional. Details and an example:",
        "[sync](sync.md#replication-file).",
        "",
        "| Key | Where | Meaning |",
        "| --- | --- | --- |",
    ]
    places = [
        ("top level", replication._TOP_KEYS),
        ("`defaults:`", replication._DEFAULT_KEYS),
        ("`streams: {name: …}`", replication._STREAM_KEYS),
    ]
    for where, keys in places:
        for key, meaning in zip(
            keys, described(list(keys), REPLICATION_HELP, "replication key"), strict=True
        ):
            lines.append(f"| `{key}` | {where} | {meaning} |")
    lines += ["", f"Default `object`: `{replication.DEFAULT_OBJECT}`.", ""]
    return lines


def events_section() -> list[str]:
    lines = [
        "## Events config (`pdsync events … --config FILE`)",
        "",
        "YAML; an unknown key, a wrong type or a mapping to an owner field is an error naming",
        "the key. Details: [events](events.md#configuration---config-eventsyaml).",
        "",
        "| Key | Default | Meaning |",
        "| --- | --- | --- |",
    ]
    lines += _dataclass_rows(events_config.EventsConfig, EVENTS_HELP, "events key", {"retry"})
    lines += _dataclass_rows(events_config.RetrySettings, EVENTS_HELP, "events key", set())
    return [*lines, ""]


# EmulatorConfig fields whose flag has another name than the field.
_EMULATOR_FLAG_FOR = {"deals": "size", "rate_limits": "no_rate_limits"}


def _emulator_flags() -> dict[str, str]:
    """EmulatorConfig field -> the `pdsync emulator serve` flag that sets it."""
    group = main.get_command(click.Context(main), "emulator")
    assert isinstance(group, click.Group)
    serve = group.get_command(click.Context(group), "serve")
    assert serve is not None
    options = {p.name: p.opts[0] for p in serve.params if isinstance(p, click.Option)}
    fields = {f.name for f in dataclasses.fields(EmulatorConfig)}
    flags = {name: f"`{options[name]}`" for name in fields if name in options}
    for field_name, option_name in _EMULATOR_FLAG_FOR.items():
        flags[field_name] = f"`{options[option_name]}`"  # KeyError if the flag is renamed
    return flags


def emulator_section() -> list[str]:
    lines = [
        "## Emulator (`pdsync emulator serve`, `EmulatorConfig`)",
        "",
        "`--host` and `--port` (default 8765) say where to listen; the other flags set the",
        "fields below (`--size`: `tiny` 50 deals, `small` 1,000, `medium` 100,000, `large`",
        "1,000,000 or a number). Fields without a flag are for Python",
        "(`EmulatorServer(EmulatorConfig(...))`) and tests. Details: [emulator](emulator.md).",
        "",
        "| `EmulatorConfig` field | Flag | Default | Meaning |",
        "| --- | --- | --- | --- |",
    ]
    flags = _emulator_flags()
    lines += _dataclass_rows(EmulatorConfig, EMULATOR_HELP, "emulator field", set(), flags)
    return [*lines, ""]


def render() -> str:
    parts = [
        INTRO,
        *connection_section(),
        *pdsync_settings_section(),
        *option_env_section(),
        *other_env_section(),
        *replication_section(),
        *events_section(),
        *emulator_section(),
    ]
    return "\n".join(parts).rstrip("\n") + "\n"


def main_(argv: list[str]) -> int:
    return write_or_check(DOC, render(), argv, REGENERATE)


if __name__ == "__main__":
    sys.exit(main_(sys.argv[1:]))
