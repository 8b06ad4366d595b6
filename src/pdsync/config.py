"""Connections and settings, each value with the place it came from.

Precedence, highest first: command-line flags > environment > config file > defaults.

* Connection fields come from flags (``--api-token`` ...), then the environment
  (``PIPEDRIVE_API_TOKEN``, ``PIPEDRIVE_COMPANY_DOMAIN``, ``PIPEDRIVE_BASE_URL``,
  ``PIPEDRIVE_OAUTH_*``), then a *named connection*: an environment variable of that
  name holding a JSON/YAML object (as Sling users do: ``PIPEDRIVE='{api_token: ...}'``)
  or an entry of ``connections.yaml`` in the user's config directory.
* pdsync's own settings come from ``PDSYNC_<NAME>`` variables, then ``config.yaml``.

Every secret loaded here is registered with :mod:`pdsync.redact`, so it is masked
wherever it could be printed afterwards.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pdsync.errors import ConfigError
from pdsync.redact import MASK, register_secret

__all__ = [
    "CONNECTION_FIELDS",
    "DEFAULT_API_ROOT",
    "DEFAULT_OAUTH_AUTHORIZE_URL",
    "DEFAULT_OAUTH_TOKEN_URL",
    "SECRET_FIELDS",
    "SETTINGS",
    "Connection",
    "SettingSpec",
    "SettingValue",
    "Settings",
    "config_dir",
    "connection_from_mapping",
    "load_connection",
    "load_settings",
    "normalise_domain",
]

DEFAULT_API_ROOT = "https://api.pipedrive.com"
DEFAULT_OAUTH_TOKEN_URL = "https://oauth.pipedrive.com/oauth/token"
DEFAULT_OAUTH_AUTHORIZE_URL = "https://oauth.pipedrive.com/oauth/authorize"

SECRET_FIELDS = frozenset({"api_token", "oauth_client_secret", "oauth_refresh_token"})

_DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def normalise_domain(value: str) -> str:
    """``acme``, ``acme.pipedrive.com`` and ``https://acme.pipedrive.com/`` all mean ``acme``."""
    text = value.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0]
    if text.endswith(".pipedrive.com"):
        text = text[: -len(".pipedrive.com")]
    if not _DOMAIN_RE.match(text):
        raise ConfigError(
            f"{value!r} is not a Pipedrive company domain.",
            hint=(
                "Give the part before .pipedrive.com (e.g. `acme` for https://acme.pipedrive.com); "
                "for any other host (an emulator, a proxy) set the base URL instead."
            ),
        )
    return text


def _normalise_base_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(
            f"Base URL {value!r} is not an http(s) URL.",
            hint="Use a URL such as http://127.0.0.1:8765 or https://acme.pipedrive.com.",
        )
    # People paste the API root; the client adds /api/v1 and /api/v2 itself.
    return re.sub(r"(/api)?/v[12]$", "", url)


@dataclass(frozen=True)
class Connection:
    """Where and how to reach one Pipedrive company. ``repr`` never shows a secret."""

    api_token: str | None = None
    company_domain: str | None = None
    base_url: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    oauth_refresh_token: str | None = None
    oauth_token_url: str | None = None
    oauth_authorize_url: str | None = None
    name: str | None = field(default=None, compare=False)  # the named connection, if any

    def __post_init__(self) -> None:
        if self.company_domain:
            object.__setattr__(self, "company_domain", normalise_domain(self.company_domain))
        if self.base_url:
            object.__setattr__(self, "base_url", _normalise_base_url(self.base_url))
        for name in SECRET_FIELDS:
            register_secret(getattr(self, name))

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                shown = MASK if f.name in SECRET_FIELDS else repr(value)
                parts.append(f"{f.name}={shown}")
        return f"Connection({', '.join(parts)})"

    __str__ = __repr__

    @property
    def uses_oauth(self) -> bool:
        """OAuth when a refresh token is present and no API token overrides it."""
        return bool(self.oauth_refresh_token) and not self.api_token

    @property
    def auth_method(self) -> str:
        if self.api_token:
            return "API token"
        return "OAuth 2.0" if self.oauth_refresh_token else "none"

    def root_url(self) -> str:
        """The URL under which ``/api/v1`` and ``/api/v2`` live."""
        if self.base_url:
            return self.base_url
        if self.company_domain:
            return f"https://{self.company_domain}.pipedrive.com"
        return DEFAULT_API_ROOT

    def token_url(self) -> str:
        return self.oauth_token_url or DEFAULT_OAUTH_TOKEN_URL

    def authorize_url(self) -> str:
        return self.oauth_authorize_url or DEFAULT_OAUTH_AUTHORIZE_URL

    def require_credentials(self) -> None:
        """Raise a ConfigError listing every place checked when no credential is set."""
        if self.api_token or self.oauth_refresh_token:
            return
        raise ConfigError(
            "No Pipedrive credentials found.",
            hint=(
                "Checked: --api-token, PIPEDRIVE_API_TOKEN, the named connection "
                "(--connection / PDSYNC_CONNECTION) and connections.yaml in "
                f"{config_dir()}. Set PIPEDRIVE_API_TOKEN, or run "
                "`pdsync conns set NAME --api-token ... --company-domain ...`."
            ),
        )

    def as_dict(self) -> dict[str, str]:
        """The non-empty fields, secrets included (for saving to the 0600 file only)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "name" and getattr(self, f.name)
        }


CONNECTION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Connection) if f.name != "name")

# Environment variable per connection field.
CONNECTION_ENV: dict[str, str] = {
    "api_token": "PIPEDRIVE_API_TOKEN",
    "company_domain": "PIPEDRIVE_COMPANY_DOMAIN",
    "base_url": "PIPEDRIVE_BASE_URL",
    "oauth_client_id": "PIPEDRIVE_OAUTH_CLIENT_ID",
    "oauth_client_secret": "PIPEDRIVE_OAUTH_CLIENT_SECRET",
    "oauth_refresh_token": "PIPEDRIVE_OAUTH_REFRESH_TOKEN",
    "oauth_token_url": "PIPEDRIVE_OAUTH_TOKEN_URL",
    "oauth_authorize_url": "PIPEDRIVE_OAUTH_AUTHORIZE_URL",
}

# Short names people write in connection objects (Sling style) -> field names.
_ALIASES: dict[str, str] = {
    "token": "api_token",
    "domain": "company_domain",
    "company": "company_domain",
    "url": "base_url",
    "client_id": "oauth_client_id",
    "client_secret": "oauth_client_secret",
    "refresh_token": "oauth_refresh_token",
    "token_url": "oauth_token_url",
    "authorize_url": "oauth_authorize_url",
    "type": "",  # Sling's `type: pipedrive`; ignored
}


def connection_from_mapping(data: Mapping[str, Any], *, origin: str) -> dict[str, str]:
    """Validate a connection object (file entry or env JSON/YAML) into field -> value."""
    result: dict[str, str] = {}
    for key, value in data.items():
        name = _ALIASES.get(str(key).lower(), str(key).lower())
        if name == "" or value is None:
            continue
        if name not in CONNECTION_FIELDS:
            raise ConfigError(
                f"Unknown connection key {key!r} in {origin}.",
                hint=f"Known keys: {', '.join(CONNECTION_FIELDS)} (or token, domain, url).",
            )
        result[name] = str(value)
    return result


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class SettingSpec:
    """One of pdsync's own settings: ``PDSYNC_<NAME>`` or ``<name>:`` in config.yaml."""

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        return f"PDSYNC_{self.name.upper()}"


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("must be positive")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must not be negative")
    return value


SETTINGS: dict[str, SettingSpec] = {
    s.name: s
    for s in (
        SettingSpec("connection", None, "named connection used when --connection is not given"),
        SettingSpec("timeout", 30.0, "seconds before an HTTP request times out", _positive_float),
        SettingSpec("max_retries", 5, "retries for 429, 5xx and network errors", _non_negative_int),
    )
}


@dataclass(frozen=True)
class SettingValue:
    """An effective value and where it came from (``flag``, ``env NAME``, ``file PATH``, ``default``)."""

    name: str
    value: Any
    source: str
    secret: bool = False

    def shown(self) -> str:
        if self.value is None:
            return ""
        return MASK if self.secret else str(self.value)


@dataclass(frozen=True)
class Settings:
    """The effective connection plus pdsync's settings, each with provenance."""

    connection: Connection
    values: tuple[SettingValue, ...]

    def __getitem__(self, name: str) -> Any:
        for item in self.values:
            if item.name == name:
                return item.value
        raise KeyError(name)

    def __iter__(self) -> Iterator[SettingValue]:
        return iter(self.values)

    def source_of(self, name: str) -> str:
        return next(v.source for v in self.values if v.name == name)


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """The user's pdsync config directory (``PDSYNC_CONFIG_DIR`` overrides)."""
    env = os.environ if env is None else env
    if env.get("PDSYNC_CONFIG_DIR"):
        return Path(env["PDSYNC_CONFIG_DIR"]).expanduser()
    if sys.platform == "win32" and env.get("APPDATA"):
        return Path(env["APPDATA"]) / "pdsync"
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "pdsync"


_user_config_dir = config_dir  # load_settings' parameter shadows the function's name


def _parse_setting(spec: SettingSpec, raw: Any, origin: str) -> Any:
    if raw is None or not isinstance(raw, str):
        return raw
    try:
        return spec.parse(raw)
    except ValueError as exc:
        raise ConfigError(
            f"Invalid value {raw!r} for {spec.name} in {origin}: {exc}.",
            hint=f"{spec.name}: {spec.help}.",
        ) from None


def _settings_layer(
    flags: Mapping[str, Any], env: Mapping[str, str], file_values: Mapping[str, Any], file: str
) -> list[SettingValue]:
    values = []
    for spec in SETTINGS.values():
        if flags.get(spec.name) is not None:
            value, source = _parse_setting(spec, flags[spec.name], "a flag"), "flag"
        elif env.get(spec.env):
            value = _parse_setting(spec, env[spec.env], spec.env)
            source = f"env {spec.env}"
        elif file_values.get(spec.name) is not None:
            value = _parse_setting(spec, file_values[spec.name], file)
            source = f"file {file}"
        else:
            value, source = spec.default, "default"
        values.append(SettingValue(spec.name, value, source))
    return values


def load_settings(
    *,
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    name: str | None = None,
    config_dir: Path | None = None,
) -> Settings:
    """Merge flags > env > files > defaults into :class:`Settings` with provenance.

    ``flags`` holds connection fields (``api_token``, ``company_domain`` ...) and settings
    (``timeout`` ...); ``None`` values mean "not given". ``name`` selects a named connection
    (else the ``connection`` setting does).
    """
    from pdsync.connstore import ConnectionStore, read_yaml_mapping

    flags = dict(flags or {})
    env = os.environ if env is None else env
    directory = config_dir if config_dir is not None else _user_config_dir(env)
    settings_file = directory / "config.yaml"
    file_values = read_yaml_mapping(settings_file)
    values = _settings_layer(flags, env, file_values, str(settings_file))
    conn_name = name or next(v.value for v in values if v.name == "connection")
    named, named_origin = ConnectionStore(directory).resolve(conn_name, env)

    conn_values: dict[str, Any] = {}
    for fname in CONNECTION_FIELDS:
        env_name = CONNECTION_ENV[fname]
        if flags.get(fname):
            conn_values[fname], source = flags[fname], "flag"
        elif env.get(env_name):
            conn_values[fname], source = env[env_name], f"env {env_name}"
        elif named.get(fname):
            conn_values[fname], source = named[fname], named_origin
        else:
            conn_values[fname], source = None, "default"
        values.append(SettingValue(fname, conn_values[fname], source, fname in SECRET_FIELDS))
    connection = Connection(**conn_values, name=conn_name)
    values = _with_normalised(values, connection)
    return Settings(connection=connection, values=tuple(values))


def _with_normalised(values: list[SettingValue], connection: Connection) -> list[SettingValue]:
    """Show the normalised domain/base URL and the resulting root URL in `config show`."""
    out = []
    for item in values:
        if item.name in ("company_domain", "base_url") and item.value is not None:
            item = replace(item, value=getattr(connection, item.name))
        out.append(item)
    root_source = next(v.source for v in out if v.name == "base_url")
    if connection.base_url is None:
        root_source = next(v.source for v in out if v.name == "company_domain")
    out.append(SettingValue("root_url", connection.root_url(), f"derived ({root_source})"))
    return out


def load_connection(
    *,
    flags: Mapping[str, str | None] | None = None,
    env: Mapping[str, str] | None = None,
    name: str | None = None,
    config_dir: Path | None = None,
) -> Connection:
    """The effective :class:`Connection` (flags > env > named connection > defaults)."""
    return load_settings(flags=flags, env=env, name=name, config_dir=config_dir).connection
